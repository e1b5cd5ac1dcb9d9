//! Photo processing, CPU only (run it off the async executor): check the bytes, decode with
//! limits, turn the picture upright, and re-encode every variant from pixels, so no EXIF, GPS,
//! XMP, IPTC, ICC, maker note, thumbnail or comment of the upload can survive.
use std::io::Cursor;

use fast_image_resize::{FilterType, ResizeAlg, ResizeOptions, Resizer};
use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, RgbImage};
use sha2::{Digest, Sha256};

use super::MediaError;

#[derive(Debug, Clone)]
pub struct Settings {
    pub max_side: u32,
    pub max_pixels: u64,
    pub jpeg_quality: u8,
    pub webp_quality: u8,
}

/// Smaller than this is not a photo of a painting anyone could see (a tracking pixel, a
/// mistake).
pub const MIN_SIDE: u32 = 100;

/// The sizes shown to supporters: grid, page, full screen (long side, never upscaled).
pub const SIZES: [(&str, u32); 3] = [("large", 2400), ("medium", 1200), ("thumb", 400)];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Jpeg,
    WebP,
}

impl Encoding {
    pub fn extension(self) -> &'static str {
        match self {
            Self::Jpeg => "jpg",
            Self::WebP => "webp",
        }
    }
}

pub struct Variant {
    pub size: &'static str,
    pub encoding: Encoding,
    pub width: u32,
    pub height: u32,
    /// Content-addressed: the hash of the bytes, so a url never changes meaning.
    pub key: String,
    pub bytes: bytes::Bytes,
}

pub struct Processed {
    /// Upright size of the original.
    pub width: u32,
    pub height: u32,
    pub variants: Vec<Variant>,
}

/// The format, from the bytes themselves (the file name and declared type are not trusted).
pub fn sniff(bytes: &[u8]) -> Result<ImageFormat, MediaError> {
    if bytes.is_empty() {
        return Err(MediaError::Invalid("the file is empty".into()));
    }
    match image::guess_format(bytes) {
        Ok(f @ (ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP)) => Ok(f),
        _ => Err(MediaError::UnsupportedFormat),
    }
}

fn corrupt(err: image::ImageError) -> MediaError {
    match err {
        image::ImageError::Limits(_) => MediaError::TooManyPixels(
            "decoding would need more memory than an upload may use".into(),
        ),
        other => MediaError::Invalid(format!("the image could not be decoded: {other}")),
    }
}

/// Dimensions from the header alone, checked before any pixel is decoded.
fn check_header(bytes: &[u8], format: ImageFormat, s: &Settings) -> Result<(), MediaError> {
    let (w, h) = ImageReader::with_format(Cursor::new(bytes), format)
        .into_dimensions()
        .map_err(corrupt)?;
    if w < MIN_SIDE || h < MIN_SIDE {
        return Err(MediaError::Invalid(format!(
            "{w}×{h} px is too small: at least {MIN_SIDE} px a side"
        )));
    }
    if w > s.max_side || h > s.max_side || u64::from(w) * u64::from(h) > s.max_pixels {
        return Err(MediaError::TooManyPixels(format!(
            "{w}×{h} px is too large: at most {} px a side and {} megapixels",
            s.max_side,
            s.max_pixels / 1_000_000
        )));
    }
    Ok(())
}

/// A truncated JPEG decodes to a grey-filled picture rather than an error; refuse it. The
/// end-of-image marker must follow the last start-of-scan (an embedded EXIF thumbnail has an
/// end marker of its own, earlier).
fn check_complete(bytes: &[u8], format: ImageFormat) -> Result<(), MediaError> {
    if format != ImageFormat::Jpeg {
        return Ok(());
    }
    let last_scan = bytes.windows(2).rposition(|w| w == [0xFF, 0xDA]);
    let complete = last_scan.is_some_and(|at| bytes[at..].windows(2).any(|w| w == [0xFF, 0xD9]));
    if !complete {
        return Err(MediaError::Invalid("the JPEG is truncated".into()));
    }
    Ok(())
}

pub fn decode(bytes: &[u8], s: &Settings) -> Result<DynamicImage, MediaError> {
    let format = sniff(bytes)?;
    check_header(bytes, format, s)?;
    check_complete(bytes, format)?;
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(s.max_side);
    limits.max_image_height = Some(s.max_side);
    // RGBA at 16 bits per channel for the largest allowed picture, and no more.
    limits.max_alloc = Some(s.max_pixels * 8);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(corrupt)?;
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut img = DynamicImage::from_decoder(decoder).map_err(corrupt)?;
    img.apply_orientation(orientation);
    Ok(img)
}

/// Transparent pixels are laid on white (JPEG has no alpha, and a painting has none).
fn flatten(img: DynamicImage) -> RgbImage {
    if !img.color().has_alpha() {
        return img.into_rgb8();
    }
    let rgba = img.into_rgba8();
    let (w, h) = rgba.dimensions();
    let mut out = RgbImage::new(w, h);
    for (dst, src) in out.pixels_mut().zip(rgba.pixels()) {
        let a = u16::from(src[3]);
        for c in 0..3 {
            let v = (u16::from(src[c]) * a + 255 * (255 - a)) / 255;
            dst[c] = u8::try_from(v).unwrap_or(255);
        }
    }
    out
}

fn fit(w: u32, h: u32, long_side: u32) -> (u32, u32) {
    let long = w.max(h);
    if long <= long_side {
        return (w, h);
    }
    let scale = f64::from(long_side) / f64::from(long);
    let scaled = |v: u32| ((f64::from(v) * scale).round() as u32).max(1);
    (scaled(w), scaled(h))
}

fn key_of(bytes: &[u8], encoding: Encoding) -> String {
    let hash: String = Sha256::digest(bytes)
        .iter()
        .take(20)
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("{hash}.{}", encoding.extension())
}

fn encode(img: &RgbImage, s: &Settings) -> Result<[(Encoding, Vec<u8>); 2], MediaError> {
    let (w, h) = img.dimensions();
    let mut jpeg = Vec::new();
    JpegEncoder::new_with_quality(&mut jpeg, s.jpeg_quality)
        .encode_image(img)
        .map_err(|e| MediaError::Processing(e.to_string()))?;
    let webp = webp::Encoder::from_rgb(img.as_raw(), w, h)
        .encode(f32::from(s.webp_quality))
        .to_vec();
    Ok([(Encoding::Jpeg, jpeg), (Encoding::WebP, webp)])
}

/// Every variant of one upload. Each size is resized from the next larger one (2400 → 1200
/// → 400), which is faster than from the original and looks the same at these ratios.
pub fn process(bytes: &[u8], s: &Settings) -> Result<Processed, MediaError> {
    let img = flatten(decode(bytes, s)?);
    let (width, height) = img.dimensions();
    let mut resizer = Resizer::new();
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3));
    let mut variants = Vec::with_capacity(SIZES.len() * 2);
    let mut source = DynamicImage::ImageRgb8(img);
    for (size, long_side) in SIZES {
        let (w, h) = fit(source.width(), source.height(), long_side);
        if (w, h) != (source.width(), source.height()) {
            let mut dst = DynamicImage::ImageRgb8(RgbImage::new(w, h));
            resizer
                .resize(&source, &mut dst, &options)
                .map_err(|e| MediaError::Processing(e.to_string()))?;
            source = dst;
        }
        let rgb = source
            .as_rgb8()
            .ok_or_else(|| MediaError::Processing("not RGB".into()))?;
        for (encoding, bytes) in encode(rgb, s)? {
            variants.push(Variant {
                size,
                encoding,
                width: w,
                height: h,
                key: key_of(&bytes, encoding),
                bytes: bytes.into(),
            });
        }
    }
    Ok(Processed {
        width,
        height,
        variants,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fits_the_long_side_and_never_upscales() {
        assert_eq!(fit(4000, 3000, 2400), (2400, 1800));
        assert_eq!(fit(3000, 4000, 400), (300, 400));
        assert_eq!(fit(800, 600, 1200), (800, 600));
        assert_eq!(fit(10_000, 1, 400), (400, 1));
    }
}
