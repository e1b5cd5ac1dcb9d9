//! `bench-images make FILE` writes a 4000×3000 phone-like JPEG; `bench-images one FILE`
//! processes it once into every variant (what one upload costs); `bench-images two FILE N`
//! runs N uploads on two threads (throughput with two concurrent uploads). Timing and peak
//! memory of whole processes are taken by the script, with /usr/bin/time. `bench-images many
//! DIR N` writes N different 1200×900 photos (for the backup benchmark's 500 photos).
use std::time::Instant;

use hunar::media::process::{Settings, process};
use image::{Rgb, RgbImage};

fn settings() -> Settings {
    Settings {
        max_side: 12_000,
        max_pixels: 50_000_000,
        jpeg_quality: 82,
        webp_quality: 80,
    }
}

/// Gradients, edges and grain, so the encoder has a photo's amount of detail to chew on.
fn make(path: &str) {
    let mut seed: u32 = 0x2545_F491;
    let img = RgbImage::from_fn(4000, 3000, |x, y| {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        let grain = (seed % 24) as i32 - 12;
        let stripe = if (x / 180 + y / 140) % 2 == 0 { 30 } else { 0 };
        let c = |base: i32| u8::try_from((base + grain + stripe).clamp(0, 255)).unwrap_or(0);
        Rgb([
            c((x * 200 / 4000) as i32 + 20),
            c((y * 180 / 3000) as i32 + 30),
            c(((x + y) * 120 / 7000) as i32 + 60),
        ])
    });
    img.save_with_format(path, image::ImageFormat::Jpeg)
        .expect("write the input photo");
}

/// N photos that differ in every pixel row, so none shares a content-addressed key.
fn many(dir: &str, n: u32) {
    std::fs::create_dir_all(dir).expect("dir");
    for i in 0..n {
        let img = RgbImage::from_fn(1200, 900, |x, y| {
            let v = |k: u32| u8::try_from((x * k + y * (i + 3) + i * 31) % 256).unwrap_or(0);
            Rgb([v(1), v(2), v(3)])
        });
        img.save_with_format(format!("{dir}/photo-{i:04}.jpg"), image::ImageFormat::Jpeg)
            .expect("write a photo");
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (mode, file) = (args.get(1).map(String::as_str), args.get(2));
    let Some(file) = file else {
        eprintln!("usage: bench-images make|one|two|many FILE|DIR [N]");
        std::process::exit(2);
    };
    match mode {
        Some("make") => make(file),
        Some("many") => many(
            file,
            args.get(3).and_then(|n| n.parse().ok()).unwrap_or(500),
        ),
        Some("one") => {
            let bytes = std::fs::read(file).expect("read");
            let start = Instant::now();
            let out = process(&bytes, &settings()).expect("process");
            let total: usize = out.variants.iter().map(|v| v.bytes.len()).sum();
            println!(
                "processed {}×{} into {} variants ({} kB) in {:.0} ms",
                out.width,
                out.height,
                out.variants.len(),
                total / 1024,
                start.elapsed().as_secs_f64() * 1000.0
            );
        }
        Some("two") => {
            let n: usize = args.get(3).and_then(|n| n.parse().ok()).unwrap_or(8);
            let bytes = std::fs::read(file).expect("read");
            let start = Instant::now();
            std::thread::scope(|s| {
                for _ in 0..2 {
                    s.spawn(|| {
                        for _ in 0..n / 2 {
                            process(&bytes, &settings()).expect("process");
                        }
                    });
                }
            });
            let secs = start.elapsed().as_secs_f64();
            println!(
                "{n} uploads on 2 threads in {secs:.2} s: {:.2} uploads/s",
                n as f64 / secs
            );
        }
        _ => {
            eprintln!("usage: bench-images make|one|two|many FILE|DIR [N]");
            std::process::exit(2);
        }
    }
}
