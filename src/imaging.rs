//! Images as files: what an upload really is (by its bytes, never its
//! name), whether it is safe to unpack, and the copies readers are served:
//! responsive widths, each also as WebP, re-encoded from pixels so that no
//! camera or location metadata survives. CPU work: call it off the async
//! threads (`spawn_blocking`).

use std::fmt;
use std::io::Cursor;

use fast_image_resize as fr;
use image::{DynamicImage, ImageDecoder, ImageEncoder, ImageFormat, ImageReader, Limits};

/// The widths readers' devices ask for, narrowest first.
pub const WIDTHS: [u32; 5] = [320, 640, 960, 1280, 1920];
/// The widest copy served: the original may be far larger.
pub const FULL_WIDTH: u32 = 2400;
const JPEG_QUALITY: u8 = 82;
const WEBP_QUALITY: f32 = 78.0;

/// The image formats the library accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Jpeg,
    Png,
    Webp,
    Gif,
}

impl Kind {
    fn from_format(format: ImageFormat) -> Option<Kind> {
        Some(match format {
            ImageFormat::Jpeg => Kind::Jpeg,
            ImageFormat::Png => Kind::Png,
            ImageFormat::WebP => Kind::Webp,
            ImageFormat::Gif => Kind::Gif,
            _ => return None,
        })
    }

    fn format(self) -> ImageFormat {
        match self {
            Kind::Jpeg => ImageFormat::Jpeg,
            Kind::Png => ImageFormat::Png,
            Kind::Webp => ImageFormat::WebP,
            Kind::Gif => ImageFormat::Gif,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Kind::Jpeg => "JPEG",
            Kind::Png => "PNG",
            Kind::Webp => "WebP",
            Kind::Gif => "GIF",
        }
    }

    /// The usual file extension.
    pub fn extension(self) -> &'static str {
        match self {
            Kind::Jpeg => "jpg",
            Kind::Png => "png",
            Kind::Webp => "webp",
            Kind::Gif => "gif",
        }
    }

    /// The kind a file name claims, by its extension.
    fn claimed_by(file_name: &str) -> Option<Kind> {
        let ext = file_name.rsplit_once('.')?.1.to_ascii_lowercase();
        Some(match ext.as_str() {
            "jpg" | "jpeg" | "jpe" => Kind::Jpeg,
            "png" => Kind::Png,
            "webp" => Kind::Webp,
            "gif" => Kind::Gif,
            _ => return None,
        })
    }
}

/// Why an upload is refused, in words for the person who sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    Empty,
    TooLarge {
        bytes: usize,
        max_bytes: usize,
    },
    NotAnImage,
    /// The name says one kind, the bytes another.
    LyingName {
        name: String,
        actual: Kind,
    },
    TooManyPixels {
        width: u32,
        height: u32,
        max_pixels: u64,
    },
    /// Unpacking it and making its copies would take more memory than the
    /// whole budget (a very long, narrow image, say).
    TooLargeToUnpack {
        width: u32,
        height: u32,
        budget_mib: usize,
    },
    /// An animation of more frames' pixels than the library unpacks.
    TooManyFrames {
        max_pixels: u64,
    },
    Damaged(String),
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Empty => f.write_str("The file is empty: choose the image again."),
            Refusal::TooLarge { bytes, max_bytes } => write!(
                f,
                "The file is {:.1} MB; the library takes files up to {} MB. Export the image smaller and upload it again.",
                *bytes as f64 / 1_048_576.0,
                max_bytes / 1_048_576
            ),
            Refusal::NotAnImage => f.write_str(
                "This file is not an image the library takes: upload a JPEG, PNG, WebP or GIF.",
            ),
            Refusal::LyingName { name, actual } => write!(
                f,
                "The file is called {name:?} but holds a {} image: rename it to end in .{} (or export it again) and upload it once more.",
                actual.name(),
                actual.extension()
            ),
            Refusal::TooManyPixels {
                width,
                height,
                max_pixels,
            } => write!(
                f,
                "The image says it is {width} × {height} pixels, more than the {} million the library unpacks. Make it smaller and upload it again.",
                max_pixels / 1_000_000
            ),
            Refusal::TooLargeToUnpack {
                width,
                height,
                budget_mib,
            } => write!(
                f,
                "The image is {width} × {height} pixels: making its copies would take more than the {budget_mib} MB of memory the library may use. Make it smaller (or less long) and upload it again."
            ),
            Refusal::TooManyFrames { max_pixels } => write!(
                f,
                "This animation's frames hold more than the {} million pixels the library unpacks. Shorten it or make it smaller, and upload it again.",
                max_pixels / 1_000_000
            ),
            Refusal::Damaged(why) => write!(
                f,
                "The image could not be read ({why}): it may be truncated or damaged. Export it again and upload the new file."
            ),
        }
    }
}

/// What an upload is, found from its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Inspected {
    pub kind: Kind,
    pub width: u32,
    pub height: u32,
}

/// Checks an upload without unpacking its pixels: size, real kind (and
/// that its name does not claim another), and dimensions.
pub fn inspect(
    bytes: &[u8],
    file_name: &str,
    max_bytes: usize,
    max_pixels: u64,
) -> Result<Inspected, Refusal> {
    if bytes.is_empty() {
        return Err(Refusal::Empty);
    }
    if bytes.len() > max_bytes {
        return Err(Refusal::TooLarge {
            bytes: bytes.len(),
            max_bytes,
        });
    }
    let kind = image::guess_format(bytes)
        .ok()
        .and_then(Kind::from_format)
        .ok_or(Refusal::NotAnImage)?;
    if let Some(claimed) = Kind::claimed_by(file_name)
        && claimed != kind
    {
        return Err(Refusal::LyingName {
            name: file_name.to_string(),
            actual: kind,
        });
    }
    let (width, height) = ImageReader::with_format(Cursor::new(bytes), kind.format())
        .into_dimensions()
        .map_err(|e| Refusal::Damaged(e.to_string()))?;
    if width == 0 || height == 0 {
        return Err(Refusal::Damaged("it has no pixels".into()));
    }
    if kind == Kind::Jpeg && !jpeg_is_complete(bytes) {
        // JPEG decoders paint a cut-off file grey and carry on: look for its end.
        return Err(Refusal::Damaged("it ends before the picture does".into()));
    }
    if u64::from(width) * u64::from(height) > max_pixels {
        return Err(Refusal::TooManyPixels {
            width,
            height,
            max_pixels,
        });
    }
    Ok(Inspected {
        kind,
        width,
        height,
    })
}

/// Whether a JPEG runs to its end-of-image marker: walks the marker
/// segments (skipping each by its length, so thumbnails inside EXIF do not
/// count) and the entropy-coded data after each scan, where a 0xFF byte is
/// always followed by 0x00 or a restart marker unless a real marker begins.
fn jpeg_is_complete(bytes: &[u8]) -> bool {
    let mut at = 2; // after SOI
    while at + 1 < bytes.len() {
        if bytes[at] != 0xff {
            return false;
        }
        let marker = bytes[at + 1];
        match marker {
            0xd9 => return true,
            0xff => at += 1, // fill byte
            0x01 | 0xd0..=0xd7 => at += 2,
            _ => {
                let Some(len) = bytes.get(at + 2..at + 4) else {
                    return false;
                };
                let len = usize::from(u16::from_be_bytes([len[0], len[1]]));
                at += 2 + len;
                if marker == 0xda {
                    // Entropy-coded data runs to the next real marker.
                    loop {
                        match bytes.get(at) {
                            None => return false,
                            Some(0xff) => match bytes.get(at + 1) {
                                None => return false,
                                Some(0x00 | 0xd0..=0xd7) => at += 2,
                                Some(_) => break,
                            },
                            Some(_) => at += 1,
                        }
                    }
                }
            }
        }
    }
    false
}

/// One file to serve: its width (None: the GIF as uploaded) and bytes.
#[derive(Debug)]
pub struct ServedCopy {
    /// Appended to the image's stem: "" for the full copy, "-640" for a width.
    pub suffix: String,
    pub extension: &'static str,
    pub bytes: Vec<u8>,
}

/// Everything made from one upload.
#[derive(Debug)]
pub struct Prepared {
    /// Of the full served copy (after orientation, capped at `FULL_WIDTH`).
    pub width: u32,
    pub height: u32,
    /// The served copies' extension (WebP copies come besides).
    pub extension: &'static str,
    /// Smaller widths made, narrowest first.
    pub widths: Vec<u32>,
    pub webp: bool,
    pub copies: Vec<ServedCopy>,
}

/// The most memory unpacking an image and making its copies may take at
/// once, in MiB (measured, then rounded up): its pixels at four bytes each,
/// the resizer's intermediate copy (full width by full height, four bytes
/// a pixel), and the encoders at work on the widest copy (JPEG and WebP:
/// about ten bytes a pixel of it).
pub fn unpacking_mib(inspected: &Inspected) -> usize {
    let (width, height) = (u64::from(inspected.width), u64::from(inspected.height));
    let full_width = width.min(u64::from(FULL_WIDTH));
    let full_height = u64::from(scaled_height(
        inspected.width,
        inspected.height,
        full_width as u32,
    ));
    let bytes = width * height * 4 + full_width * height * 4 + full_width * full_height * 10;
    bytes.div_ceil(1 << 20).max(1) as usize
}

/// The share of memory an image of `megapixels`, about square, takes to
/// unpack: what the budget must hold at least.
pub fn unpacking_mib_of_square(megapixels: usize) -> usize {
    let side = ((megapixels as f64) * 1e6).sqrt().ceil() as u32;
    unpacking_mib(&Inspected {
        kind: Kind::Png,
        width: side,
        height: side,
    })
}

/// Makes the C allocator hand large blocks straight back. libwebp's
/// buffers come from glibc's malloc, whose threshold for mapping a block
/// of its own rises with every large block freed (up to 32 MiB), after
/// which freed megabytes stay in the idle thread's arena for good. A fixed
/// threshold of 1 MiB keeps every large buffer in a mapping of its own,
/// returned when freed. Called once, before the first image.
pub fn settle_allocators() {
    static SETTLED: std::sync::Once = std::sync::Once::new();
    SETTLED.call_once(|| {
        #[cfg(target_env = "gnu")]
        // SAFETY: mallopt only sets one of malloc's parameters; it takes
        // no pointers and is safe to call at any time.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
        }
    });
}

/// Gives the memory this thread freed back to the system. An image's
/// pixels are freed on the blocking thread that unpacked them; mimalloc
/// (the server's allocator) keeps such pages for that thread's next use,
/// but a blocking thread may sit idle for long, holding tens or hundreds of
/// megabytes after a large image. Harmless where mimalloc is not the
/// allocator (tests): it then only tidies its own empty heaps.
pub fn return_memory() {
    // SAFETY: mi_collect takes no pointers and may be called at any time
    // from any thread; it frees only memory mimalloc holds unused.
    unsafe { libmimalloc_sys::mi_collect(true) }
}

/// Unpacks an inspected upload and makes its served copies.
pub fn prepare(bytes: &[u8], inspected: Inspected, max_pixels: u64) -> Result<Prepared, Refusal> {
    if inspected.kind == Kind::Gif {
        // GIFs keep their animation, frame by frame; written anew, without
        // the comments and application blocks (XMP, location) they carried.
        return Ok(Prepared {
            width: inspected.width,
            height: inspected.height,
            extension: "gif",
            widths: vec![],
            webp: false,
            copies: vec![ServedCopy {
                suffix: String::new(),
                extension: "gif",
                bytes: rewrite_gif(bytes, max_pixels)?,
            }],
        });
    }
    let image = decode(bytes, inspected.kind, max_pixels)?;
    let has_alpha = image.color().has_alpha();
    let (source_width, source_height) = (image.width(), image.height());
    // Converted in place when the pixels already have that layout: a
    // second full copy of a large image would double what it takes.
    let (extension, pixel_type, pixels) = if has_alpha {
        ("png", fr::PixelType::U8x4, image.into_rgba8().into_raw())
    } else {
        ("jpg", fr::PixelType::U8x3, image.into_rgb8().into_raw())
    };
    let source = fr::images::Image::from_vec_u8(source_width, source_height, pixels, pixel_type)
        .map_err(|e| Refusal::Damaged(e.to_string()))?;
    let image = (source_width, source_height);
    let full_width = image.0.min(FULL_WIDTH);
    let mut targets: Vec<u32> = WIDTHS.iter().copied().filter(|&w| w < full_width).collect();
    targets.push(full_width);

    let mut resizer = fr::Resizer::new();
    let options =
        fr::ResizeOptions::new().resize_alg(fr::ResizeAlg::Convolution(fr::FilterType::Lanczos3));
    let mut copies = Vec::with_capacity(targets.len() * 2);
    let mut full_height = image.1;
    for &width in &targets {
        let height = scaled_height(image.0, image.1, width);
        let resized = if width == image.0 {
            None
        } else {
            let mut out = fr::images::Image::new(width, height, pixel_type);
            resizer
                .resize(&source, &mut out, &options)
                .map_err(|e| Refusal::Damaged(e.to_string()))?;
            Some(out)
        };
        let buffer = resized.as_ref().map_or(source.buffer(), |r| r.buffer());
        let suffix = if width == full_width {
            full_height = height;
            String::new()
        } else {
            format!("-{width}")
        };
        copies.push(ServedCopy {
            suffix: suffix.clone(),
            extension,
            bytes: encode(buffer, width, height, has_alpha)?,
        });
        let webp = if has_alpha {
            webp::Encoder::from_rgba(buffer, width, height)
        } else {
            webp::Encoder::from_rgb(buffer, width, height)
        };
        copies.push(ServedCopy {
            suffix,
            extension: "webp",
            bytes: webp.encode(WEBP_QUALITY).to_vec(),
        });
    }
    targets.pop();
    Ok(Prepared {
        width: full_width,
        height: full_height,
        extension,
        widths: targets,
        webp: true,
        copies,
    })
}

/// A GIF written again frame by frame (the same indexed pixels, palettes,
/// timings and looping), which leaves behind every comment and application
/// extension: no XMP, no location, no text reaches readers. The frames'
/// pixels together must stay within `max_pixels` times four.
fn rewrite_gif(bytes: &[u8], max_pixels: u64) -> Result<Vec<u8>, Refusal> {
    let damaged = |e: &dyn std::fmt::Display| Refusal::Damaged(e.to_string());
    let mut options = gif::DecodeOptions::new();
    options.set_color_output(gif::ColorOutput::Indexed);
    options.check_frame_consistency(true);
    let mut decoder = options
        .read_info(Cursor::new(bytes))
        .map_err(|e| damaged(&e))?;
    let (width, height) = (decoder.width(), decoder.height());
    let palette = decoder
        .global_palette()
        .map(<[u8]>::to_vec)
        .unwrap_or_default();
    let budget = max_pixels.saturating_mul(4);
    let mut unpacked = 0u64;
    let mut encoder: Option<gif::Encoder<Vec<u8>>> = None;
    while let Some(frame) = decoder.read_next_frame().map_err(|e| damaged(&e))? {
        let mut frame = frame.clone();
        unpacked += u64::from(frame.width) * u64::from(frame.height);
        if unpacked > budget {
            return Err(Refusal::TooManyFrames { max_pixels: budget });
        }
        // The decoder hands rows over in display order.
        frame.interlaced = false;
        let writer = match encoder.as_mut() {
            Some(writer) => writer,
            None => {
                // Looping is known once the blocks before the first frame are read.
                let mut started =
                    gif::Encoder::new(Vec::with_capacity(bytes.len()), width, height, &palette)
                        .map_err(|e| damaged(&e))?;
                if decoder.repeat() != gif::Repeat::Finite(0) {
                    started
                        .set_repeat(decoder.repeat())
                        .map_err(|e| damaged(&e))?;
                }
                encoder.insert(started)
            }
        };
        writer.write_frame(&frame).map_err(|e| damaged(&e))?;
    }
    match encoder {
        Some(encoder) => encoder.into_inner().map_err(|e| damaged(&e)),
        None => Err(Refusal::Damaged("it holds no picture".into())),
    }
}

fn scaled_height(width: u32, height: u32, to_width: u32) -> u32 {
    ((u64::from(height) * u64::from(to_width) + u64::from(width) / 2) / u64::from(width)).max(1)
        as u32
}

/// Unpacks the pixels within the pixel budget, turned upright as the
/// camera recorded (the orientation tag goes with the rest of the metadata).
fn decode(bytes: &[u8], kind: Kind, max_pixels: u64) -> Result<DynamicImage, Refusal> {
    let damaged = |e: image::ImageError| Refusal::Damaged(e.to_string());
    let mut reader = ImageReader::with_format(Cursor::new(bytes), kind.format());
    let mut limits = Limits::default();
    // Room for the pixels at 4 bytes each, and the decoder's own buffers.
    limits.max_alloc = Some(max_pixels.saturating_mul(4).saturating_add(64 << 20));
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(damaged)?;
    let orientation = decoder.orientation().map_err(damaged)?;
    let mut image = DynamicImage::from_decoder(decoder).map_err(damaged)?;
    image.apply_orientation(orientation);
    Ok(image)
}

fn encode(pixels: &[u8], width: u32, height: u32, alpha: bool) -> Result<Vec<u8>, Refusal> {
    let mut out = Vec::new();
    let result = if alpha {
        image::codecs::png::PngEncoder::new(&mut out).write_image(
            pixels,
            width,
            height,
            image::ExtendedColorType::Rgba8,
        )
    } else {
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY).write_image(
            pixels,
            width,
            height,
            image::ExtendedColorType::Rgb8,
        )
    };
    result.map_err(|e| Refusal::Damaged(e.to_string()))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jpeg(width: u32, height: u32) -> Vec<u8> {
        let img = image::RgbImage::from_fn(width, height, |x, y| {
            image::Rgb([(x % 200) as u8, (y % 200) as u8, 90])
        });
        let mut out = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 80)
            .write_image(&img, width, height, image::ExtendedColorType::Rgb8)
            .unwrap();
        out
    }

    #[test]
    fn the_bytes_decide_not_the_name() {
        let bytes = jpeg(40, 30);
        let seen = inspect(&bytes, "photo.JPG", 1 << 20, 1 << 20).unwrap();
        assert_eq!((seen.kind, seen.width, seen.height), (Kind::Jpeg, 40, 30));
        assert_eq!(
            inspect(&bytes, "photo.png", 1 << 20, 1 << 20),
            Err(Refusal::LyingName {
                name: "photo.png".into(),
                actual: Kind::Jpeg
            })
        );
        assert_eq!(
            inspect(b"GIF? no, a letter", "x.gif", 1 << 20, 1 << 20),
            Err(Refusal::NotAnImage)
        );
        assert!(matches!(
            inspect(&bytes, "a.jpg", 100, 1 << 20),
            Err(Refusal::TooLarge { .. })
        ));
        assert!(matches!(
            inspect(&bytes, "a.jpg", 1 << 20, 1000),
            Err(Refusal::TooManyPixels { .. })
        ));
        assert!(matches!(
            inspect(&bytes[..20], "a.jpg", 1 << 20, 1 << 20),
            Err(Refusal::Damaged(_))
        ));
        assert!(jpeg_is_complete(&bytes));
        assert!(matches!(
            inspect(&bytes[..bytes.len() - 40], "a.jpg", 1 << 20, 1 << 20),
            Err(Refusal::Damaged(_))
        ));
    }

    #[test]
    fn served_copies_come_in_every_width_below_the_original() {
        let bytes = jpeg(1000, 500);
        let seen = inspect(&bytes, "wide.jpg", 1 << 24, 1 << 24).unwrap();
        let prepared = prepare(&bytes, seen, 1 << 24).unwrap();
        assert_eq!(prepared.widths, [320, 640, 960]);
        assert_eq!((prepared.width, prepared.height), (1000, 500));
        assert_eq!(prepared.copies.len(), 8, "4 widths, each as JPEG and WebP");
        let small = &prepared.copies[0];
        assert_eq!((small.suffix.as_str(), small.extension), ("-320", "jpg"));
        let (w, h) = ImageReader::new(Cursor::new(&small.bytes))
            .with_guessed_format()
            .unwrap()
            .into_dimensions()
            .unwrap();
        assert_eq!((w, h), (320, 160));
    }
}
