//! Photos as `<picture>` needs them: WebP and JPEG `srcset`s with each variant's real width,
//! and the photo's own width and height so nothing jumps while it loads.
use serde::Serialize;

use crate::media::images::{ImageVariants, ImageView};

#[derive(Debug, Serialize)]
pub struct Picture {
    pub src: String,
    pub jpeg_srcset: String,
    pub webp_srcset: String,
    pub width: i32,
    pub height: i32,
    pub alt: String,
    pub large: String,
}

/// The long sides the variants are made at (never upscaled), as `media::process` makes them.
const SIDES: [i32; 3] = [400, 1200, 2400];

fn widths(width: i32, height: i32) -> [i32; 3] {
    let long = width.max(height).max(1);
    SIDES.map(|side| {
        let side = side.min(long);
        (i64::from(width) * i64::from(side) / i64::from(long)).max(1) as i32
    })
}

fn srcset(v: &ImageVariants, widths: [i32; 3]) -> String {
    let mut seen = Vec::new();
    let mut parts = Vec::new();
    for (url, w) in [
        (&v.thumb, widths[0]),
        (&v.medium, widths[1]),
        (&v.large, widths[2]),
    ] {
        // A small photo's variants can be the same size; list each width once.
        if !seen.contains(&w) {
            seen.push(w);
            parts.push(format!("{url} {w}w"));
        }
    }
    parts.join(", ")
}

impl From<&ImageView> for Picture {
    fn from(image: &ImageView) -> Self {
        let widths = widths(image.width, image.height);
        Self {
            src: image.variants.medium.clone(),
            jpeg_srcset: srcset(&image.variants, widths),
            webp_srcset: srcset(&image.webp, widths),
            width: image.width,
            height: image.height,
            alt: image.alt.clone(),
            large: image.variants.large.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variant_widths_follow_the_long_side_and_never_grow() {
        assert_eq!(widths(4000, 3000), [400, 1200, 2400]);
        assert_eq!(widths(3000, 4000), [300, 900, 1800]);
        assert_eq!(widths(800, 600), [400, 800, 800]);
    }
}
