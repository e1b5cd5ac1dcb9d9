//! Photo uploads: metadata never survives, orientation is applied, bad files are refused
//! with nothing stored, variants are right and served with long-lived cache headers.
use std::io::Cursor;

use entity::image as image_row;
use image::{ImageFormat, Rgb, RgbImage, Rgba, RgbaImage};
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::Value;

use crate::helpers::{Catalog, Reply, TestApp, builder};

/// A JPEG as a phone writes it: EXIF (orientation, camera, GPS of the artist's home), XMP
/// and a comment, all before the picture.
fn phone_jpeg(img: &RgbImage, orientation: u16) -> Vec<u8> {
    let mut plain = Vec::new();
    img.write_to(&mut Cursor::new(&mut plain), ImageFormat::Jpeg)
        .expect("encode");
    let mut out = plain[..2].to_vec(); // SOI
    segment(&mut out, 0xE1, &exif(orientation));
    let mut xmp = b"http://ns.adobe.com/xap/1.0/\0".to_vec();
    xmp.extend_from_slice(b"<x:xmpmeta><exif:GPSLatitude>34,31.5N</exif:GPSLatitude></x:xmpmeta>");
    segment(&mut out, 0xE1, &xmp);
    segment(&mut out, 0xFE, b"shot at home, Karte-3");
    out.extend_from_slice(&plain[2..]);
    out
}

fn segment(out: &mut Vec<u8>, marker: u8, data: &[u8]) {
    out.extend_from_slice(&[0xFF, marker]);
    out.extend_from_slice(&u16::try_from(data.len() + 2).expect("len").to_be_bytes());
    out.extend_from_slice(data);
}

/// Little-endian TIFF: IFD0 {Make, Orientation, GPS pointer}, GPS IFD {lat ref, latitude}.
fn exif(orientation: u16) -> Vec<u8> {
    let mut t = b"II*\0".to_vec();
    t.extend_from_slice(&8u32.to_le_bytes());
    let entry = |t: &mut Vec<u8>, tag: u16, kind: u16, count: u32, value: u32| {
        t.extend_from_slice(&tag.to_le_bytes());
        t.extend_from_slice(&kind.to_le_bytes());
        t.extend_from_slice(&count.to_le_bytes());
        t.extend_from_slice(&value.to_le_bytes());
    };
    // IFD0 at 8: 3 entries (2 + 36 + 4 bytes) → ends at 50; Make string at 50, GPS IFD at 60.
    t.extend_from_slice(&3u16.to_le_bytes());
    entry(&mut t, 0x010F, 2, 9, 50);
    entry(&mut t, 0x0112, 3, 1, u32::from(orientation));
    entry(&mut t, 0x8825, 4, 1, 60);
    t.extend_from_slice(&0u32.to_le_bytes());
    t.extend_from_slice(b"PhoneCo\0\0\0");
    // GPS IFD at 60: 2 entries → ends at 90; rationals at 90.
    t.extend_from_slice(&2u16.to_le_bytes());
    entry(&mut t, 0x0001, 2, 2, u32::from_le_bytes(*b"N\0\0\0"));
    entry(&mut t, 0x0002, 5, 3, 90);
    t.extend_from_slice(&0u32.to_le_bytes());
    for (n, d) in [(34u32, 1u32), (31, 1), (1500, 100)] {
        t.extend_from_slice(&n.to_le_bytes());
        t.extend_from_slice(&d.to_le_bytes());
    }
    let mut out = b"Exif\0\0".to_vec();
    out.extend_from_slice(&t);
    out
}

fn picture(w: u32, h: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| Rgb([(x % 256) as u8, (y % 256) as u8, 128]))
}

/// The markers of a JPEG up to its image data. Only the ones a bare encoder writes may be
/// there: no APPn but JFIF's APP0, no comment.
fn jpeg_markers(bytes: &[u8]) -> Vec<u8> {
    assert_eq!(&bytes[..2], &[0xFF, 0xD8], "a JPEG");
    let mut markers = Vec::new();
    let mut at = 2;
    while at + 4 <= bytes.len() {
        assert_eq!(bytes[at], 0xFF, "marker at {at}");
        let marker = bytes[at + 1];
        markers.push(marker);
        if marker == 0xDA {
            break;
        }
        let len = usize::from(u16::from_be_bytes([bytes[at + 2], bytes[at + 3]]));
        at += 2 + len;
    }
    markers
}

fn assert_bare_jpeg(bytes: &[u8]) {
    for marker in jpeg_markers(bytes) {
        assert!(
            !(0xE1..=0xEF).contains(&marker) && marker != 0xFE,
            "metadata marker {marker:#x} survived"
        );
    }
}

/// RIFF chunks of a WebP: only picture data may be there, no EXIF, XMP or ICC chunk.
fn assert_bare_webp(bytes: &[u8]) {
    assert_eq!(&bytes[..4], b"RIFF");
    assert_eq!(&bytes[8..12], b"WEBP");
    let mut at = 12;
    while at + 8 <= bytes.len() {
        let id = &bytes[at..at + 4];
        assert!(
            [&b"VP8 "[..], b"VP8L", b"VP8X", b"ALPH"].contains(&id),
            "chunk {:?} survived",
            String::from_utf8_lossy(id)
        );
        let len = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().expect("4")) as usize;
        at += 8 + len + len % 2;
    }
}

pub(crate) async fn upload(
    app: &TestApp,
    token: &str,
    path: &str,
    name: &str,
    bytes: Vec<u8>,
    alt: Option<&str>,
) -> Reply {
    let mut form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()),
    );
    if let Some(alt) = alt {
        form = form.text("alt", alt.to_string());
    }
    let res = app
        .client
        .post(app.url(path))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .expect("send");
    Reply::read(res).await
}

/// Urls point at PUBLIC_BASE_URL (or a CDN); the test app answers the same path.
fn media_path(url: &str) -> String {
    let key = url.rsplit('/').next().expect("key");
    format!("/media/{key}")
}

async fn fetch(app: &TestApp, url: &str) -> reqwest::Response {
    app.client
        .get(app.url(&media_path(url)))
        .send()
        .await
        .expect("get")
}

fn stored_files(app: &TestApp) -> usize {
    std::fs::read_dir(&app.media_dir)
        .map(|d| d.count())
        .unwrap_or(0)
}

async fn setup(app: &TestApp) -> (String, Catalog, String) {
    let token = app.admin_token().await;
    let catalog = app.small_catalog(&token).await;
    let path = format!("/api/v1/admin/artworks/{}/images", catalog.artwork);
    (token, catalog, path)
}

#[tokio::test]
async fn a_phone_photo_loses_every_piece_of_metadata_and_comes_in_every_size() {
    let app = builder().spawn().await;
    let (token, catalog, path) = setup(&app).await;
    // The test catalog's painting is on sale, so it has a photo of its own already.
    let base = stored_files(&app);
    let original = phone_jpeg(&picture(3000, 2000), 1);
    // The fixture really carries what must go.
    assert!(jpeg_markers(&original).contains(&0xE1));
    let reply = upload(
        &app,
        &token,
        &path,
        "IMG_0001.jpg",
        original,
        Some("Kites, oil"),
    )
    .await;
    let image = reply.ok(201).clone();
    assert_eq!(image["alt"], "Kites, oil");
    assert_eq!(
        (image["width"].as_i64(), image["height"].as_i64()),
        (Some(3000), Some(2000))
    );
    for (size, w, h) in [
        ("large", 2400, 1600),
        ("medium", 1200, 800),
        ("thumb", 400, 267),
    ] {
        for (set, format, content_type) in [
            ("variants", ImageFormat::Jpeg, "image/jpeg"),
            ("webp", ImageFormat::WebP, "image/webp"),
        ] {
            let url = image[set][size].as_str().expect("url");
            let res = fetch(&app, url).await;
            assert_eq!(res.status(), 200, "{url}");
            assert_eq!(res.headers()["content-type"], content_type);
            let bytes = res.bytes().await.expect("body").to_vec();
            let decoded = image::load_from_memory_with_format(&bytes, format).expect("decodes");
            assert_eq!((decoded.width(), decoded.height()), (w, h), "{size} {set}");
            match format {
                ImageFormat::Jpeg => assert_bare_jpeg(&bytes),
                _ => assert_bare_webp(&bytes),
            }
        }
    }
    // The original is not kept: six variants, nothing else.
    assert_eq!(stored_files(&app) - base, 6);
    // The admin view lists it, for editing; the public catalog shows it.
    let admin = app
        .admin_get(
            &token,
            &format!("/api/v1/admin/artworks/{}", catalog.artwork),
        )
        .await;
    assert_eq!(admin.ok(200)["images"][1]["id"], image["id"]);
    let public = app
        .get(&format!("/api/v1/artworks/{}", catalog.artwork))
        .await;
    assert_eq!(
        public.ok(200)["images"][1]["variants"]["thumb"],
        image["variants"]["thumb"]
    );
}

#[tokio::test]
async fn variants_are_served_for_ever_with_etags() {
    let app = builder().spawn().await;
    let (token, _, path) = setup(&app).await;
    let reply = upload(&app, &token, &path, "a.png", png(&picture(500, 300)), None).await;
    let url = reply.ok(201)["variants"]["medium"]
        .as_str()
        .expect("url")
        .to_string();
    // Never upscaled: a 500 px photo stays 500 px in every size.
    assert_eq!(
        reply.ok(201)["alt"],
        "Kites",
        "the painting's title by default"
    );
    let res = fetch(&app, &url).await;
    assert_eq!(
        res.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    let etag = res.headers()["etag"].to_str().expect("etag").to_string();
    let bytes = res.bytes().await.expect("body");
    let decoded = image::load_from_memory(&bytes).expect("decode");
    assert_eq!((decoded.width(), decoded.height()), (500, 300));
    let path = media_path(&url);
    let again = app
        .client
        .get(app.url(&path))
        .header("If-None-Match", &etag)
        .send()
        .await
        .expect("get");
    assert_eq!(again.status(), 304);
    for bad in [
        "/media/../hunar.db",
        "/media/abc.jpg",
        "/media/%2e%2e%2fhunar.db",
    ] {
        assert_eq!(app.get(bad).await.status, 404, "{bad}");
    }
}

pub(crate) fn png(img: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    img.write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
        .expect("png");
    out
}

#[tokio::test]
async fn orientation_is_applied_and_transparency_laid_on_white() {
    let app = builder().spawn().await;
    let (token, _, path) = setup(&app).await;
    // Landscape pixels, left red and right blue, marked "rotate 90° clockwise to view".
    let sideways = RgbImage::from_fn(400, 200, |x, _| {
        if x < 200 {
            Rgb([220, 20, 20])
        } else {
            Rgb([20, 20, 220])
        }
    });
    let reply = upload(
        &app,
        &token,
        &path,
        "rot.jpg",
        phone_jpeg(&sideways, 6),
        None,
    )
    .await;
    let image = reply.ok(201).clone();
    assert_eq!(
        (image["width"].as_i64(), image["height"].as_i64()),
        (Some(200), Some(400))
    );
    let bytes = fetch(&app, image["variants"]["large"].as_str().expect("url"))
        .await
        .bytes()
        .await
        .expect("body");
    let upright = image::load_from_memory(&bytes).expect("decode").into_rgb8();
    assert_eq!(upright.dimensions(), (200, 400));
    let top = upright.get_pixel(100, 50);
    let bottom = upright.get_pixel(100, 350);
    assert!(top[0] > 150 && top[2] < 100, "top is red: {top:?}");
    assert!(
        bottom[2] > 150 && bottom[0] < 100,
        "bottom is blue: {bottom:?}"
    );

    let clear = RgbaImage::from_pixel(120, 120, Rgba([0, 0, 0, 0]));
    let mut bytes = Vec::new();
    clear
        .write_to(&mut Cursor::new(&mut bytes), ImageFormat::Png)
        .expect("png");
    let reply = upload(&app, &token, &path, "clear.png", bytes, None).await;
    let url = reply.ok(201)["variants"]["thumb"]
        .as_str()
        .expect("url")
        .to_string();
    let bytes = fetch(&app, &url).await.bytes().await.expect("body");
    let px = *image::load_from_memory(&bytes)
        .expect("decode")
        .into_rgb8()
        .get_pixel(60, 60);
    assert!(px.0.iter().all(|c| *c > 245), "white, not black: {px:?}");
}

/// A PNG header claiming `w`×`h` with valid CRCs, and no picture.
fn png_header(w: u32, h: u32) -> Vec<u8> {
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = !0u32;
        for b in bytes {
            crc ^= u32::from(*b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    for chunk in [
        ihdr,
        b"IDAT\x78\x9c\x03\x00\x00\x00\x00\x01".to_vec(),
        b"IEND".to_vec(),
    ] {
        out.extend_from_slice(&u32::try_from(chunk.len() - 4).expect("len").to_be_bytes());
        out.extend_from_slice(&chunk);
        out.extend_from_slice(&crc32(&chunk).to_be_bytes());
    }
    out
}

#[tokio::test]
async fn bad_files_are_refused_before_anything_is_stored() {
    let app = builder().env("MAX_UPLOAD_MB", "1").spawn().await;
    let (token, catalog, path) = setup(&app).await;
    // The test catalog's painting is on sale, so it has a photo of its own already.
    let base = stored_files(&app);
    let good = phone_jpeg(&picture(300, 200), 1);
    let truncated = good[..good.len() / 2].to_vec();
    // A real decompression bomb: 64 megapixels of nothing, a few dozen kB on the wire.
    let bomb = {
        let img = image::GrayImage::new(8000, 8000);
        let mut out = Vec::new();
        img.write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .expect("png");
        out
    };
    assert!(bomb.len() < 1024 * 1024, "bomb is {} bytes", bomb.len());
    let mut oversized = good.clone();
    oversized.resize(1024 * 1024 + 100 * 1024, 0);
    let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        ("pixel.png", png(&picture(1, 1)), 422, "too small"),
        ("wide.png", png_header(12_001, 200), 422, "too large"),
        ("bomb.png", bomb, 422, "too large"),
        ("cut.jpg", truncated, 422, "truncated"),
        (
            "notes.jpg",
            b"just some text, honestly a photo".to_vec(),
            415,
            "",
        ),
        ("empty.jpg", Vec::new(), 422, "empty"),
        ("huge.jpg", oversized, 413, ""),
    ];
    for (name, bytes, status, says) in cases {
        let reply = upload(&app, &token, &path, name, bytes, None).await;
        let problem = reply.problem(status);
        assert!(problem.to_string().contains(says), "{name}: {problem}");
    }
    assert_eq!(stored_files(&app) - base, 0, "nothing stored");
    assert_eq!(
        image_row::Entity::find()
            .count(&app.db)
            .await
            .expect("count"),
        1,
        "only the photo the painting went on sale with"
    );

    // Not multipart, no file, an unknown field, an unknown artwork.
    let res = app
        .client
        .post(app.url(&path))
        .bearer_auth(&token)
        .json(&serde_json::json!({"file": "x"}))
        .send()
        .await
        .expect("send");
    assert_eq!(
        Reply::read(res).await.problem(415)["code"],
        "unsupported_media_type"
    );
    let form = reqwest::multipart::Form::new().text("alt", "no photo");
    let res = app
        .client
        .post(app.url(&path))
        .bearer_auth(&token)
        .multipart(form)
        .send()
        .await
        .expect("send");
    Reply::read(res).await.invalid_field("file");
    let form = reqwest::multipart::Form::new()
        .part(
            "file",
            reqwest::multipart::Part::bytes(good.clone()).file_name("a.jpg"),
        )
        .text("comment", "shot at home");
    let res = app
        .client
        .post(app.url(&path))
        .bearer_auth(&token)
        .multipart(form)
        .send()
        .await
        .expect("send");
    Reply::read(res).await.invalid_field("comment");
    let reply = upload(
        &app,
        &token,
        &path,
        "a.jpg",
        good.clone(),
        Some(&"x".repeat(5000)),
    )
    .await;
    reply.invalid_field("alt");
    let res = app
        .client
        .post(app.url(&path))
        .bearer_auth(&token)
        .header("content-type", "multipart/form-data; boundary=XYZ")
        .body("--ABC\r\nnot a part at all")
        .send()
        .await
        .expect("send");
    assert_eq!(Reply::read(res).await.problem(400)["code"], "bad_request");
    let reply = upload(
        &app,
        &token,
        "/api/v1/admin/artworks/nope/images",
        "a.jpg",
        good.clone(),
        None,
    )
    .await;
    reply.problem(404);
    let unauthenticated = app
        .client
        .post(app.url(&path))
        .multipart(reqwest::multipart::Form::new())
        .send()
        .await
        .expect("send");
    assert_eq!(unauthenticated.status(), 401);
    // The artwork is untouched and still uploadable.
    upload(&app, &token, &path, "ok.jpg", good, None)
        .await
        .ok(201);
    let _ = catalog;
}

#[tokio::test]
async fn deleting_a_photo_deletes_its_files_but_not_a_twins() {
    let app = builder().spawn().await;
    let (token, catalog, path) = setup(&app).await;
    // The test catalog's painting is on sale, so it has a photo of its own already.
    let base = stored_files(&app);
    let bytes = png(&picture(600, 400));
    let first = upload(&app, &token, &path, "a.png", bytes.clone(), None).await;
    let first: Value = first.ok(201).clone();
    let twin = upload(&app, &token, &path, "b.png", bytes, None).await;
    let twin: Value = twin.ok(201).clone();
    // 600 px: large and medium are the same picture, so the same files (4, not 6), and the
    // same photo uploaded twice is stored once.
    assert_eq!(stored_files(&app) - base, 4);
    let delete = |id: &str| {
        app.client
            .delete(app.url(&format!("{path}/{id}")))
            .bearer_auth(&token)
            .send()
    };
    assert_eq!(
        delete(first["id"].as_str().expect("id"))
            .await
            .expect("send")
            .status(),
        204
    );
    assert_eq!(stored_files(&app) - base, 4, "the twin still uses them");
    assert_eq!(
        fetch(&app, twin["variants"]["large"].as_str().expect("url"))
            .await
            .status(),
        200
    );
    assert_eq!(
        delete(twin["id"].as_str().expect("id"))
            .await
            .expect("send")
            .status(),
        204
    );
    assert_eq!(stored_files(&app) - base, 0);
    assert_eq!(
        fetch(&app, twin["variants"]["large"].as_str().expect("url"))
            .await
            .status(),
        404
    );
    assert_eq!(
        delete(twin["id"].as_str().expect("id"))
            .await
            .expect("send")
            .status(),
        404
    );
    let public = app
        .get(&format!("/api/v1/artworks/{}", catalog.artwork))
        .await;
    // Only the photo the painting went on sale with is left.
    assert_eq!(public.ok(200)["images"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn an_artist_has_one_portrait() {
    let app = builder().spawn().await;
    let (token, catalog, _) = setup(&app).await;
    // The test catalog's painting is on sale, so it has a photo of its own already.
    let base = stored_files(&app);
    let path = format!("/api/v1/admin/artists/{}/portrait", catalog.artist);
    let first = upload(
        &app,
        &token,
        &path,
        "me.jpg",
        phone_jpeg(&picture(400, 500), 1),
        None,
    )
    .await;
    assert_eq!(first.ok(201)["alt"], "Test Painter");
    let second = upload(
        &app,
        &token,
        &path,
        "me2.png",
        png(&picture(500, 400)),
        Some("Self-portrait"),
    )
    .await;
    let second = second.ok(201).clone();
    assert_eq!(
        stored_files(&app) - base,
        4,
        "the old portrait's files are gone"
    );
    let artists = app.get("/api/v1/artists").await;
    let portrait = &artists.ok(200)["items"][0]["portrait"];
    assert_eq!(portrait["id"], second["id"]);
    assert_eq!(portrait["alt"], "Self-portrait");
    let res = app
        .client
        .delete(app.url(&path))
        .bearer_auth(&token)
        .send()
        .await
        .expect("send");
    assert_eq!(res.status(), 204);
    assert_eq!(stored_files(&app) - base, 0);
    // Deleting what is already gone leaves what was asked for; an unknown artist is a 404.
    app.admin_delete(&token, &path).await.ok(204);
    app.admin_delete(&token, "/api/v1/admin/artists/nobody/portrait")
        .await
        .problem(404);
}

#[tokio::test]
async fn deleting_an_artwork_or_an_artist_deletes_their_photo_files() {
    let app = builder().spawn().await;
    let (token, catalog, path) = setup(&app).await;
    // The test catalog's painting is on sale, so it has a photo of its own already.
    let base = stored_files(&app);
    let photo = upload(&app, &token, &path, "a.png", png(&picture(600, 400)), None).await;
    let photo = photo.ok(201).clone();
    assert_eq!(stored_files(&app) - base, 4);
    let painting = format!("/api/v1/admin/artworks/{}", catalog.artwork);
    assert_eq!(app.admin_delete(&token, &painting).await.status, 204);
    assert_eq!(stored_files(&app), 0, "no photo outlives its painting");
    let large = photo["variants"]["large"].as_str().expect("url");
    assert_eq!(fetch(&app, large).await.status(), 404);

    // An artist's portrait shows a person: it goes with them.
    let portrait = format!("/api/v1/admin/artists/{}/portrait", catalog.artist);
    let face = upload(
        &app,
        &token,
        &portrait,
        "me.png",
        png(&picture(400, 500)),
        None,
    )
    .await;
    let face = face.ok(201).clone();
    assert_eq!(stored_files(&app), 4);
    let artist = format!("/api/v1/admin/artists/{}", catalog.artist);
    assert_eq!(app.admin_delete(&token, &artist).await.status, 204);
    assert_eq!(stored_files(&app), 0, "no portrait outlives its artist");
    let thumb = face["webp"]["thumb"].as_str().expect("url");
    assert_eq!(fetch(&app, thumb).await.status(), 404);
}
