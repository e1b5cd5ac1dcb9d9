//! Pictures for the demo paintings, so a fresh shop looks alive: abstract landscapes (sky,
//! hills, a sun, kites) drawn with `image`, different for every title, and put through the
//! real upload pipeline (checks, metadata stripped, variants) like any coordinator's photo.
use std::io::Cursor;

use image::{ImageFormat, Rgb, RgbImage};
use sea_orm::{DatabaseConnection, EntityTrait};
use sha2::{Digest, Sha256};

use crate::catalog::freshness::RefreshCards;
use crate::media::{Media, images};

const WIDTH: u32 = 1200;
const HEIGHT: u32 = 900;

fn mix(a: [u8; 3], b: [u8; 3], t: f32) -> Rgb<u8> {
    let t = t.clamp(0.0, 1.0);
    Rgb([0, 1, 2].map(|i| (f32::from(a[i]) * (1.0 - t) + f32::from(b[i]) * t) as u8))
}

/// A landscape drawn from `seed`: the same title always gives the same picture.
fn landscape(seed: &[u8; 32], width: u32, height: u32) -> RgbImage {
    let pick = |i: usize, palette: &[[u8; 3]]| palette[usize::from(seed[i]) % palette.len()];
    let skies = [
        [238, 198, 152],
        [182, 214, 235],
        [244, 221, 170],
        [210, 190, 220],
        [250, 180, 140],
    ];
    let hills = [
        [122, 90, 62],
        [86, 110, 78],
        [150, 112, 80],
        [96, 84, 120],
        [70, 96, 110],
    ];
    let (sky_top, sky_low) = (pick(0, &skies), pick(1, &skies));
    let (near, far) = (pick(2, &hills), pick(3, &hills));
    let sun = [252, 236, 190];
    let (w, h) = (width as f32, height as f32);
    let phase = |i: usize| f32::from(seed[i]) / 255.0 * std::f32::consts::TAU;
    let sun_x = w * (0.2 + 0.6 * f32::from(seed[4]) / 255.0);
    let sun_y = h * (0.18 + 0.15 * f32::from(seed[5]) / 255.0);
    let sun_r = h * 0.08;
    let kites: Vec<(f32, f32, [u8; 3])> = (0..3)
        .map(|k| {
            (
                w * (0.15 + 0.7 * f32::from(seed[6 + k]) / 255.0),
                h * (0.12 + 0.3 * f32::from(seed[9 + k]) / 255.0),
                pick(
                    12 + k,
                    &[[200, 40, 40], [30, 90, 170], [230, 170, 20], [30, 140, 90]],
                ),
            )
        })
        .collect();
    RgbImage::from_fn(width, height, |x, y| {
        let (fx, fy) = (x as f32, y as f32);
        let far_line = h * 0.55 + (fx / w * 5.0 + phase(16)).sin() * h * 0.06;
        let near_line = h * 0.72 + (fx / w * 3.0 + phase(17)).sin() * h * 0.08;
        if fy > near_line {
            return mix(near, [40, 30, 25], (fy - near_line) / (h - near_line) * 0.6);
        }
        if fy > far_line {
            return mix(far, sky_low, 0.25);
        }
        for (kx, ky, color) in &kites {
            let (dx, dy) = ((fx - kx).abs(), fy - ky);
            if dy.abs() < h * 0.035 && dx < h * 0.035 - dy.abs() {
                return Rgb(*color);
            }
        }
        if (fx - sun_x).hypot(fy - sun_y) < sun_r {
            return Rgb(sun);
        }
        mix(sky_top, sky_low, fy / far_line)
    })
}

fn jpeg(picture: &RgbImage) -> Option<bytes::Bytes> {
    let mut out = Cursor::new(Vec::new());
    picture.write_to(&mut out, ImageFormat::Jpeg).ok()?;
    Some(bytes::Bytes::from(out.into_inner()))
}

/// Draws and uploads a picture for every demo painting and a portrait for every artist. A
/// failure is logged and skipped: the demo works without pictures.
pub async fn add(db: &DatabaseConnection, media: &Media, cards: &dyn RefreshCards) {
    let artworks = entity::artwork::Entity::find()
        .all(db)
        .await
        .unwrap_or_default();
    for art in artworks {
        let seed: [u8; 32] = Sha256::digest(art.title.as_bytes()).into();
        let (w, h) = if art.height_cm > art.width_cm {
            (HEIGHT, WIDTH)
        } else {
            (WIDTH, HEIGHT)
        };
        let Some(bytes) = jpeg(&landscape(&seed, w, h)) else {
            continue;
        };
        let alt = format!("{}: an abstract landscape", art.title);
        if let Err(err) =
            images::add_to_artwork(db, media, cards, "seed", &art.id, bytes, Some(&alt)).await
        {
            tracing::warn!(error = %err, "a demo picture could not be stored");
        }
    }
    let artists = entity::artist::Entity::find()
        .all(db)
        .await
        .unwrap_or_default();
    for artist in artists {
        let seed: [u8; 32] = Sha256::digest(artist.display_name.as_bytes()).into();
        let Some(bytes) = jpeg(&landscape(&seed, 400, 400)) else {
            continue;
        };
        if let Err(err) = images::set_portrait(db, media, "seed", &artist.id, bytes, None).await {
            tracing::warn!(error = %err, "a demo portrait could not be stored");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_title_gets_its_own_picture() {
        let a = landscape(&Sha256::digest(b"Kites over Kabul").into(), 120, 90);
        let b = landscape(&Sha256::digest(b"Snow in Gothenburg").into(), 120, 90);
        assert_ne!(a.as_raw(), b.as_raw());
        assert_eq!(a.dimensions(), (120, 90));
    }
}
