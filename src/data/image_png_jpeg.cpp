// PNG through libpng and JPEG through libjpeg-turbo (the library
// TensorFlow's decode_jpeg uses, with fancy upsampling; its fast integer
// DCT when decoding as TensorFlow does, so pixels match). Both libraries report errors by longjmp: every libpng /
// libjpeg call runs in a function whose locals are trivially destructible,
// and the buffers it fills are owned by the caller.
#include <csetjmp>
#include <cstdio>
#include <cstring>

#include <jpeglib.h>
#include <jerror.h>
#include <png.h>

#include "data/image_codec.hpp"
#include "keras/errors.hpp"

namespace keras::detail::image {

// ---------------- PNG ----------------
namespace {

struct PngIo {
  const std::uint8_t* data = nullptr;
  std::size_t size = 0, pos = 0;
  std::vector<std::uint8_t>* out = nullptr;
  char msg[200] = {0};
};

void png_read_cb(png_structp png, png_bytep dst, png_size_t n) {
  auto* io = static_cast<PngIo*>(png_get_io_ptr(png));
  if (n > io->size - io->pos) png_error(png, "the file is truncated");
  std::memcpy(dst, io->data + io->pos, n);
  io->pos += n;
}
void png_write_cb(png_structp png, png_bytep src, png_size_t n) {
  auto* io = static_cast<PngIo*>(png_get_io_ptr(png));
  io->out->insert(io->out->end(), src, src + n);
}
void png_flush_cb(png_structp) {}
void png_error_cb(png_structp png, png_const_charp msg) {
  auto* io = static_cast<PngIo*>(png_get_error_ptr(png));
  std::snprintf(io->msg, sizeof(io->msg), "%s", msg);
  png_longjmp(png, 1);
}
void png_warning_cb(png_structp, png_const_charp) {}

// Transformations to `want` channels (0: as stored, gray+alpha widened to RGBA).
void png_setup(png_structp png, png_infop info, int want) {
  const int type = png_get_color_type(png, info);
  if (png_get_bit_depth(png, info) == 16) png_set_strip_16(png);
  if (type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  if (type == PNG_COLOR_TYPE_GRAY && png_get_bit_depth(png, info) < 8) png_set_expand_gray_1_2_4_to_8(png);
  const bool trns = png_get_valid(png, info, PNG_INFO_tRNS) != 0;
  const bool colour = (type & PNG_COLOR_MASK_COLOR) != 0;
  const bool alpha = (type & PNG_COLOR_MASK_ALPHA) != 0 || trns;
  if (want == 0) want = colour ? (alpha ? 4 : 3) : (alpha ? 4 : 1);
  if (trns && (want == 2 || want == 4)) png_set_tRNS_to_alpha(png);
  if (want == 1 || want == 3) {
    if ((type & PNG_COLOR_MASK_ALPHA) != 0) png_set_strip_alpha(png);
  }
  if (want == 1 && colour) png_set_rgb_to_gray_fixed(png, 1, 29900, 58700);
  if (want >= 3 && !colour) png_set_gray_to_rgb(png);
  if (want == 4 && !alpha) png_set_add_alpha(png, 0xff, PNG_FILLER_AFTER);
  png_set_interlace_handling(png);
}

// Header: fills *h, *w. Returns false with io->msg set on error.
bool png_read_header(png_structp png, png_infop info, int want, png_uint_32* h, png_uint_32* w, int* ch) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_set_user_limits(png, kMaxSide, kMaxSide);
  png_set_chunk_malloc_max(png, 64u << 20);
  png_read_info(png, info);
  png_setup(png, info, want);
  png_read_update_info(png, info);
  *h = png_get_image_height(png, info);
  *w = png_get_image_width(png, info);
  *ch = png_get_channels(png, info);
  return png_get_bit_depth(png, info) == 8;
}

bool png_read_rows(png_structp png, png_infop info, png_bytep* rows) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_read_image(png, rows);
  png_read_end(png, nullptr);
  return true;
}

struct PngReadGuard {
  png_structp png = nullptr;
  png_infop info = nullptr;
  ~PngReadGuard() { png_destroy_read_struct(&png, info ? &info : nullptr, nullptr); }
};

}  // namespace

Pixels decode_png(const std::uint8_t* bytes, std::size_t size, int channels, const std::string& name) {
  PngIo io;
  io.data = bytes;
  io.size = size;
  PngReadGuard g;
  g.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &io, png_error_cb, png_warning_cb);
  KERAS_CHECK(g.png != nullptr, RuntimeError, "load_img: libpng could not start reading ", name);
  g.info = png_create_info_struct(g.png);
  KERAS_CHECK(g.info != nullptr, RuntimeError, "load_img: libpng could not start reading ", name);
  png_set_read_fn(g.png, &io, png_read_cb);
  png_uint_32 h = 0, w = 0;
  int ch = 0;
  KERAS_CHECK(png_read_header(g.png, g.info, channels, &h, &w, &ch), ValueError, "load_img: cannot decode the PNG file ",
              name, ": ", io.msg[0] ? io.msg : "unsupported bit depth");
  check_size(h, w, name);
  // Deflate expands at most 1032-fold, and a row holds at least w / 8 bytes
  // plus its filter byte: a shorter file cannot hold the declared size.
  const double least = static_cast<double>(h) * static_cast<double>((w + 7) / 8 + 1);
  KERAS_CHECK(least <= 1100.0 * static_cast<double>(size) + 4096.0, ValueError, "load_img: the PNG file ", name,
              " declares ", h, " x ", w, " pixels but holds only ", size, " bytes (truncated or corrupt)");
  KERAS_CHECK(channels == 0 || ch == channels, ValueError, "load_img: the PNG file ", name, " decodes to ", ch,
              " channels, expected ", channels);
  Pixels p;
  p.height = h;
  p.width = w;
  p.channels = ch;
  p.data.resize(static_cast<std::size_t>(h) * w * ch);
  std::vector<png_bytep> rows(h);
  for (png_uint_32 r = 0; r < h; ++r) rows[r] = p.data.data() + static_cast<std::size_t>(r) * w * ch;
  KERAS_CHECK(png_read_rows(g.png, g.info, rows.data()), ValueError, "load_img: cannot decode the PNG file ", name,
              ": ", io.msg);
  return p;
}

namespace {
bool png_write_all(png_structp png, png_infop info, const Pixels& p, png_bytep* rows) {
  if (setjmp(png_jmpbuf(png))) return false;
  static const int types[] = {0, PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA, PNG_COLOR_TYPE_RGB,
                              PNG_COLOR_TYPE_RGB_ALPHA};
  png_set_IHDR(png, info, static_cast<png_uint_32>(p.width), static_cast<png_uint_32>(p.height), 8,
               types[p.channels], PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  png_write_image(png, rows);
  png_write_end(png, nullptr);
  return true;
}
}  // namespace

std::vector<std::uint8_t> encode_png(const Pixels& p, const std::string& name) {
  KERAS_CHECK(p.channels >= 1 && p.channels <= 4, ValueError, "save_img: PNG takes 1 to 4 channels, received ",
              p.channels, " for ", name);
  check_size(p.height, p.width, name);
  std::vector<std::uint8_t> out;
  PngIo io;
  io.out = &out;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &io, png_error_cb, png_warning_cb);
  KERAS_CHECK(png != nullptr, RuntimeError, "save_img: libpng could not start writing ", name);
  png_infop info = png_create_info_struct(png);
  png_set_write_fn(png, &io, png_write_cb, png_flush_cb);
  std::vector<png_bytep> rows(static_cast<std::size_t>(p.height));
  for (std::int64_t r = 0; r < p.height; ++r)
    rows[r] = const_cast<png_bytep>(p.data.data()) + static_cast<std::size_t>(r * p.width * p.channels);
  const bool ok = info != nullptr && png_write_all(png, info, p, rows.data());
  png_destroy_write_struct(&png, info ? &info : nullptr);
  KERAS_CHECK(ok, RuntimeError, "save_img: libpng could not write ", name, ": ", io.msg);
  return out;
}

// ---------------- JPEG ----------------
namespace {

struct JpegErr {
  jpeg_error_mgr mgr;
  std::jmp_buf jump;
  char msg[JMSG_LENGTH_MAX];
};

void jpeg_error_cb(j_common_ptr c) {
  auto* e = reinterpret_cast<JpegErr*>(c->err);
  (*c->err->format_message)(c, e->msg);
  std::longjmp(e->jump, 1);
}
// A premature end of data is an error (TensorFlow refuses truncated files
// too); other warnings (extraneous bytes) are tolerated as libjpeg does.
void jpeg_message_cb(j_common_ptr c, int level) {
  if (level == -1 && c->err->msg_code == JWRN_JPEG_EOF) jpeg_error_cb(c);
}

bool jpeg_header(jpeg_decompress_struct* d, const std::uint8_t* bytes, std::size_t size, int want, bool fast_dct) {
  auto* e = reinterpret_cast<JpegErr*>(d->err);
  if (setjmp(e->jump)) return false;
  jpeg_create_decompress(d);
  d->mem->max_memory_to_use = 1L << 30;
  jpeg_mem_src(d, bytes, static_cast<unsigned long>(size));
  jpeg_read_header(d, TRUE);
  if (want == 1) d->out_color_space = JCS_GRAYSCALE;
  if (want == 3) d->out_color_space = JCS_RGB;
  if (want == 4) d->out_color_space = JCS_EXT_RGBA;
  d->dct_method = fast_dct ? JDCT_IFAST : JDCT_ISLOW;
  return true;
}

bool jpeg_body(jpeg_decompress_struct* d, std::uint8_t* out, std::size_t out_size) {
  auto* e = reinterpret_cast<JpegErr*>(d->err);
  if (setjmp(e->jump)) return false;
  jpeg_start_decompress(d);
  const std::size_t stride = static_cast<std::size_t>(d->output_width) * d->output_components;
  if (stride * d->output_height != out_size) {
    std::snprintf(e->msg, sizeof(e->msg), "unexpected output size");
    return false;
  }
  while (d->output_scanline < d->output_height) {
    JSAMPROW row = out + static_cast<std::size_t>(d->output_scanline) * stride;
    jpeg_read_scanlines(d, &row, 1);
  }
  jpeg_finish_decompress(d);
  return true;
}

}  // namespace

Pixels decode_jpeg(const std::uint8_t* bytes, std::size_t size, int channels, const std::string& name,
                   bool fast_dct) {
  jpeg_decompress_struct d;
  JpegErr err;
  std::memset(&d, 0, sizeof(d));
  d.err = jpeg_std_error(&err.mgr);
  err.mgr.error_exit = jpeg_error_cb;
  err.mgr.emit_message = jpeg_message_cb;
  err.msg[0] = 0;
  struct Guard {
    jpeg_decompress_struct* d;
    ~Guard() { jpeg_destroy_decompress(d); }
  } guard{&d};
  KERAS_CHECK(jpeg_header(&d, bytes, size, channels, fast_dct), ValueError, "load_img: cannot decode the JPEG file ", name, ": ",
              err.msg);
  check_size(d.image_height, d.image_width, name);
  const int comps = channels != 0 ? channels : (d.num_components == 1 ? 1 : 3);
  if (channels == 0) d.out_color_space = comps == 1 ? JCS_GRAYSCALE : JCS_RGB;
  Pixels p;
  p.height = d.image_height;
  p.width = d.image_width;
  p.channels = comps;
  p.data.resize(static_cast<std::size_t>(p.height * p.width * comps));
  KERAS_CHECK(jpeg_body(&d, p.data.data(), p.data.size()), ValueError, "load_img: cannot decode the JPEG file ", name,
              ": ", err.msg);
  return p;
}

namespace {
bool jpeg_write_all(jpeg_compress_struct* c, const Pixels& p, int quality, unsigned char** buf, unsigned long* len) {
  auto* e = reinterpret_cast<JpegErr*>(c->err);
  if (setjmp(e->jump)) return false;
  jpeg_create_compress(c);
  jpeg_mem_dest(c, buf, len);
  c->image_width = static_cast<JDIMENSION>(p.width);
  c->image_height = static_cast<JDIMENSION>(p.height);
  c->input_components = static_cast<int>(p.channels);
  c->in_color_space = p.channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_set_defaults(c);
  jpeg_set_quality(c, quality, TRUE);
  jpeg_start_compress(c, TRUE);
  const std::size_t stride = static_cast<std::size_t>(p.width * p.channels);
  while (c->next_scanline < c->image_height) {
    JSAMPROW row = const_cast<JSAMPROW>(p.data.data()) + c->next_scanline * stride;
    jpeg_write_scanlines(c, &row, 1);
  }
  jpeg_finish_compress(c);
  return true;
}
}  // namespace

std::vector<std::uint8_t> encode_jpeg(const Pixels& p, int quality, const std::string& name) {
  KERAS_CHECK(p.channels == 1 || p.channels == 3, ValueError, "save_img: JPEG takes 1 or 3 channels, received ",
              p.channels, " for ", name, " (drop the alpha channel or save as PNG)");
  KERAS_CHECK(quality >= 1 && quality <= 100, ValueError, "save_img: JPEG quality must be in [1, 100], received ",
              quality);
  check_size(p.height, p.width, name);
  jpeg_compress_struct c;
  JpegErr err;
  std::memset(&c, 0, sizeof(c));
  c.err = jpeg_std_error(&err.mgr);
  err.mgr.error_exit = jpeg_error_cb;
  err.msg[0] = 0;
  unsigned char* buf = nullptr;
  unsigned long len = 0;
  const bool ok = jpeg_write_all(&c, p, quality, &buf, &len);
  jpeg_destroy_compress(&c);
  std::vector<std::uint8_t> out;
  if (ok) out.assign(buf, buf + len);
  std::free(buf);
  KERAS_CHECK(ok, RuntimeError, "save_img: libjpeg could not write ", name, ": ", err.msg);
  return out;
}

}  // namespace keras::detail::image
