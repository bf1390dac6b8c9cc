// GIF through giflib (the first frame, as TensorFlow's decode_image with
// expand_animations=False), BMP through stb_image (Debian's libstb: a
// packaged, fuzzed decoder with a header query, stbi_info, that gives the
// size before anything is allocated), plus the format-independent helpers.
#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>

#include <gif_lib.h>
#include <stb_image.h>
#include <stb_image_write.h>

#include "data/image_codec.hpp"
#include "keras/errors.hpp"

namespace keras::detail::image {

void check_size(std::int64_t height, std::int64_t width, const std::string& name) {
  KERAS_CHECK(height > 0 && width > 0, ValueError, "load_img: ", name, " has an empty size (", height, " x ", width,
              ")");
  KERAS_CHECK(height <= kMaxSide && width <= kMaxSide && height * width <= kMaxPixels, ValueError, "load_img: ", name,
              " is ", height, " x ", width, " pixels, more than the ", kMaxSide, " per side and ", kMaxPixels,
              " in all that images may have");
}

Format sniff(const std::uint8_t* b, std::size_t n) {
  if (n >= 8 && std::memcmp(b, "\x89PNG\r\n\x1a\n", 8) == 0) return Format::png;
  if (n >= 3 && b[0] == 0xff && b[1] == 0xd8 && b[2] == 0xff) return Format::jpeg;
  if (n >= 6 && (std::memcmp(b, "GIF87a", 6) == 0 || std::memcmp(b, "GIF89a", 6) == 0)) return Format::gif;
  if (n >= 2 && b[0] == 'B' && b[1] == 'M') return Format::bmp;
  return Format::unknown;
}

const char* format_name(Format f) {
  switch (f) {
    case Format::png: return "PNG";
    case Format::jpeg: return "JPEG";
    case Format::gif: return "GIF";
    case Format::bmp: return "BMP";
    default: return "unknown";
  }
}

namespace {
std::uint8_t luma(const std::uint8_t* px) {
  return static_cast<std::uint8_t>((px[0] * 19595u + px[1] * 38470u + px[2] * 7471u + 0x8000u) >> 16);
}
}  // namespace

Pixels convert_channels(Pixels p, int channels) {
  const int from = static_cast<int>(p.channels);
  if (channels == 0 || channels == from) return p;
  KERAS_CHECK(channels == 1 || channels == 3 || channels == 4, ValueError,
              "load_img: channels must be 1, 3 or 4, received ", channels);
  const std::size_t n = static_cast<std::size_t>(p.height * p.width);
  std::vector<std::uint8_t> out(n * channels);
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint8_t* s = p.data.data() + i * from;
    std::uint8_t* d = out.data() + i * channels;
    const bool colour = from >= 3;
    const std::uint8_t alpha = (from == 2 || from == 4) ? s[from - 1] : 255;
    if (channels == 1) {
      d[0] = colour ? luma(s) : s[0];
      continue;
    }
    for (int c = 0; c < 3; ++c) d[c] = colour ? s[c] : s[0];
    if (channels == 4) d[3] = alpha;
  }
  p.data = std::move(out);
  p.channels = channels;
  return p;
}

// ---------------- GIF ----------------
namespace {

struct GifMem {
  const std::uint8_t* data;
  std::size_t size, pos;
};

int gif_read_cb(GifFileType* g, GifByteType* dst, int n) {
  auto* m = static_cast<GifMem*>(g->UserData);
  const std::size_t k = std::min(static_cast<std::size_t>(std::max(n, 0)), m->size - m->pos);
  std::memcpy(dst, m->data + m->pos, k);
  m->pos += k;
  return static_cast<int>(k);
}

struct GifGuard {
  GifFileType* g = nullptr;
  ~GifGuard() {
    int err = 0;
    if (g) DGifCloseFile(g, &err);
  }
};

std::string gif_error(GifFileType* g) {
  const char* s = GifErrorString(g->Error);
  return s ? s : "unknown giflib error";
}

// Reads extension blocks; a graphics control block sets *transparent.
void gif_extension(GifFileType* g, int* transparent, const std::string& name) {
  int code = 0;
  GifByteType* ext = nullptr;
  KERAS_CHECK(DGifGetExtension(g, &code, &ext) == GIF_OK, ValueError, "load_img: cannot decode the GIF file ", name,
              ": ", gif_error(g));
  if (code == GRAPHICS_EXT_FUNC_CODE && ext != nullptr && ext[0] >= 4) {
    GraphicsControlBlock gcb;
    if (DGifExtensionToGCB(ext[0], ext + 1, &gcb) == GIF_OK) *transparent = gcb.TransparentColor;
  }
  while (ext != nullptr)
    KERAS_CHECK(DGifGetExtensionNext(g, &ext) == GIF_OK, ValueError, "load_img: cannot decode the GIF file ", name,
                ": ", gif_error(g));
}

// Paints the frame just described (g->Image) onto the RGB canvas.
void gif_frame(GifFileType* g, int transparent, Pixels& canvas, const std::string& name) {
  const GifImageDesc& d = g->Image;
  KERAS_CHECK(d.Left >= 0 && d.Top >= 0 && d.Width > 0 && d.Height > 0 && d.Left + d.Width <= canvas.width &&
                  d.Top + d.Height <= canvas.height,
              ValueError, "load_img: the GIF file ", name, " has a frame (", d.Width, " x ", d.Height, " at ", d.Left,
              ", ", d.Top, ") outside its ", canvas.width, " x ", canvas.height, " canvas");
  const ColorMapObject* cmap = d.ColorMap ? d.ColorMap : g->SColorMap;
  KERAS_CHECK(cmap != nullptr, ValueError, "load_img: the GIF file ", name, " has no colour map");
  std::vector<GifPixelType> idx(static_cast<std::size_t>(d.Width) * d.Height);
  for (int r = 0; r < d.Height; ++r)
    KERAS_CHECK(DGifGetLine(g, idx.data() + static_cast<std::size_t>(r) * d.Width, d.Width) == GIF_OK, ValueError,
                "load_img: cannot decode the GIF file ", name, ": ", gif_error(g));
  // Interlaced rows are stored in four passes: 0, 8, 16...; 4, 12...; 2, 6...; 1, 3...
  std::vector<int> row_of(d.Height);
  if (d.Interlace) {
    int k = 0;
    const int start[] = {0, 4, 2, 1}, step[] = {8, 8, 4, 2};
    for (int pass = 0; pass < 4; ++pass)
      for (int r = start[pass]; r < d.Height; r += step[pass]) row_of[k++] = r;
  } else {
    for (int r = 0; r < d.Height; ++r) row_of[r] = r;
  }
  for (int k = 0; k < d.Height; ++k) {
    for (int c = 0; c < d.Width; ++c) {
      const int v = idx[static_cast<std::size_t>(k) * d.Width + c];
      if (v == transparent || v >= cmap->ColorCount) continue;
      std::uint8_t* px = canvas.data.data() + ((static_cast<std::size_t>(d.Top + row_of[k]) * canvas.width) + d.Left + c) * 3;
      px[0] = cmap->Colors[v].Red;
      px[1] = cmap->Colors[v].Green;
      px[2] = cmap->Colors[v].Blue;
    }
  }
}

}  // namespace

Pixels decode_gif(const std::uint8_t* bytes, std::size_t size, const std::string& name) {
  GifMem mem{bytes, size, 0};
  int err = 0;
  GifGuard guard;
  guard.g = DGifOpen(&mem, gif_read_cb, &err);
  if (guard.g == nullptr) {
    const char* s = GifErrorString(err);
    throw ::keras::ValueError(::keras::detail::cat("load_img: cannot decode the GIF file ", name, ": ", s ? s : "unknown giflib error"));
  }
  GifFileType* g = guard.g;
  check_size(g->SHeight, g->SWidth, name);
  Pixels canvas;
  canvas.height = g->SHeight;
  canvas.width = g->SWidth;
  canvas.channels = 3;
  canvas.data.assign(static_cast<std::size_t>(canvas.height * canvas.width * 3), 0);
  int transparent = -1;
  for (;;) {
    GifRecordType type;
    KERAS_CHECK(DGifGetRecordType(g, &type) == GIF_OK, ValueError, "load_img: cannot decode the GIF file ", name, ": ",
                gif_error(g));
    if (type == EXTENSION_RECORD_TYPE) {
      gif_extension(g, &transparent, name);
    } else if (type == IMAGE_DESC_RECORD_TYPE) {
      KERAS_CHECK(DGifGetImageDesc(g) == GIF_OK, ValueError, "load_img: cannot decode the GIF file ", name, ": ",
                  gif_error(g));
      gif_frame(g, transparent, canvas, name);
      return canvas;
    } else if (type == TERMINATE_RECORD_TYPE) {
      throw ::keras::ValueError(::keras::detail::cat("load_img: the GIF file ", name, " holds no image"));
    }
  }
}

namespace {

int gif_write_cb(GifFileType* g, const GifByteType* src, int n) {
  auto* out = static_cast<std::vector<std::uint8_t>*>(g->UserData);
  out->insert(out->end(), src, src + n);
  return n;
}

// Palette indices and a 256-entry palette: exact when the image has at most
// 256 colours (always for gray), else giflib's median-cut quantizer.
bool gif_palette(const Pixels& p, std::vector<GifByteType>& idx, std::vector<GifColorType>& pal) {
  const std::size_t n = static_cast<std::size_t>(p.height * p.width);
  idx.assign(n, 0);
  pal.assign(256, GifColorType{0, 0, 0});
  std::map<std::uint32_t, int> seen;
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint8_t* px = p.data.data() + i * p.channels;
    const std::uint8_t r = px[0], gr = p.channels >= 3 ? px[1] : px[0], b = p.channels >= 3 ? px[2] : px[0];
    const std::uint32_t key = (static_cast<std::uint32_t>(r) << 16) | (gr << 8) | b;
    auto it = seen.find(key);
    if (it == seen.end()) {
      if (seen.size() == 256) return false;
      it = seen.emplace(key, static_cast<int>(seen.size())).first;
      pal[it->second] = GifColorType{r, gr, b};
    }
    idx[i] = static_cast<GifByteType>(it->second);
  }
  return true;
}

void gif_quantize(const Pixels& p, std::vector<GifByteType>& idx, std::vector<GifColorType>& pal,
                  const std::string& name) {
  const std::size_t n = static_cast<std::size_t>(p.height * p.width);
  std::vector<GifByteType> r(n), g(n), b(n);
  for (std::size_t i = 0; i < n; ++i) {
    r[i] = p.data[i * p.channels];
    g[i] = p.data[i * p.channels + 1];
    b[i] = p.data[i * p.channels + 2];
  }
  int size = 256;
  KERAS_CHECK(GifQuantizeBuffer(static_cast<unsigned>(p.width), static_cast<unsigned>(p.height), &size, r.data(),
                                g.data(), b.data(), idx.data(), pal.data()) == GIF_OK,
              RuntimeError, "save_img: giflib could not reduce the colours of ", name);
}

}  // namespace

std::vector<std::uint8_t> encode_gif(const Pixels& p, const std::string& name) {
  check_size(p.height, p.width, name);
  KERAS_CHECK(p.channels >= 1 && p.channels <= 4 && p.height < 65536 && p.width < 65536, ValueError,
              "save_img: GIF takes 1 to 4 channels (alpha dropped) and sides below 65536, received ", p.height, " x ",
              p.width, " x ", p.channels, " for ", name);
  std::vector<GifByteType> idx;
  std::vector<GifColorType> pal;
  if (!gif_palette(p, idx, pal)) gif_quantize(p, idx, pal, name);
  std::vector<std::uint8_t> out;
  int err = 0;
  GifFileType* g = EGifOpen(&out, gif_write_cb, &err);
  KERAS_CHECK(g != nullptr, RuntimeError, "save_img: giflib could not start writing ", name);
  ColorMapObject* cmap = GifMakeMapObject(256, pal.data());
  const int w = static_cast<int>(p.width), h = static_cast<int>(p.height);
  bool ok = cmap != nullptr && EGifPutScreenDesc(g, w, h, 8, 0, cmap) == GIF_OK &&
            EGifPutImageDesc(g, 0, 0, w, h, false, nullptr) == GIF_OK;
  for (int r = 0; ok && r < h; ++r) ok = EGifPutLine(g, idx.data() + static_cast<std::size_t>(r) * w, w) == GIF_OK;
  const std::string why = ok ? "" : gif_error(g);
  ok = EGifCloseFile(g, &err) == GIF_OK && ok;
  GifFreeMapObject(cmap);
  KERAS_CHECK(ok, RuntimeError, "save_img: giflib could not write ", name, ": ", why);
  return out;
}

// ---------------- BMP ----------------
Pixels decode_bmp(const std::uint8_t* bytes, std::size_t size, const std::string& name) {
  KERAS_CHECK(size <= static_cast<std::size_t>(1) << 30, ValueError, "load_img: ", name, " is larger than 1 GiB");
  int w = 0, h = 0, comp = 0;
  const int n = static_cast<int>(size);
  KERAS_CHECK(stbi_info_from_memory(bytes, n, &w, &h, &comp) == 1, ValueError, "load_img: cannot decode the BMP file ",
              name, ": ", stbi_failure_reason() ? stbi_failure_reason() : "not a BMP image");
  check_size(h, w, name);
  int got = 0;
  stbi_uc* px = stbi_load_from_memory(bytes, n, &w, &h, &got, 0);
  KERAS_CHECK(px != nullptr, ValueError, "load_img: cannot decode the BMP file ", name, ": ",
              stbi_failure_reason() ? stbi_failure_reason() : "corrupt data");
  Pixels p;
  p.height = h;
  p.width = w;
  p.channels = got;
  p.data.assign(px, px + static_cast<std::size_t>(w) * h * got);
  stbi_image_free(px);
  return p;
}

namespace {
void append_cb(void* ctx, void* data, int n) {
  auto* out = static_cast<std::vector<std::uint8_t>*>(ctx);
  const auto* b = static_cast<const std::uint8_t*>(data);
  out->insert(out->end(), b, b + n);
}
}  // namespace

std::vector<std::uint8_t> encode_bmp(const Pixels& p, const std::string& name) {
  check_size(p.height, p.width, name);
  KERAS_CHECK(p.channels >= 1 && p.channels <= 4, ValueError, "save_img: BMP takes 1 to 4 channels, received ",
              p.channels, " for ", name);
  std::vector<std::uint8_t> out;
  const int ok = stbi_write_bmp_to_func(append_cb, &out, static_cast<int>(p.width), static_cast<int>(p.height),
                                        static_cast<int>(p.channels), p.data.data());
  KERAS_CHECK(ok != 0, RuntimeError, "save_img: could not write the BMP file ", name);
  return out;
}

// ---------------- any format ----------------
Pixels decode(const std::uint8_t* bytes, std::size_t size, int channels, const std::string& name, bool tf_jpeg) {
  switch (sniff(bytes, size)) {
    case Format::png: return decode_png(bytes, size, channels, name);
    case Format::jpeg: return decode_jpeg(bytes, size, channels, name, tf_jpeg);
    case Format::gif: return convert_channels(decode_gif(bytes, size, name), channels);
    case Format::bmp: return convert_channels(decode_bmp(bytes, size, name), channels);
    default: break;
  }
  throw ::keras::ValueError(::keras::detail::cat("load_img: ", name,
              " is not an image this library reads (expected a PNG, JPEG, GIF or BMP file; its first bytes match none)"));
}

std::vector<std::uint8_t> read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  KERAS_CHECK(f.good(), IOError, "load_img: cannot open ", path);
  f.seekg(0, std::ios::end);
  const std::streamoff n = f.tellg();
  KERAS_CHECK(n >= 0 && n <= (std::streamoff(1) << 30), IOError, "load_img: cannot read ", path,
              " (unreadable or over 1 GiB)");
  f.seekg(0);
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(n));
  f.read(reinterpret_cast<char*>(bytes.data()), n);
  KERAS_CHECK(f.gcount() == n, IOError, "load_img: could not read all of ", path);
  return bytes;
}

void write_file(const std::string& path, const std::vector<std::uint8_t>& bytes) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  KERAS_CHECK(f.good(), IOError, "save_img: cannot open ", path, " for writing");
  f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  KERAS_CHECK(f.good(), IOError, "save_img: could not write ", path);
}

}  // namespace keras::detail::image
