// keras::ops::hash_to_bins: the integer hashing of keras.layers.Hashing.
//
// Keras hashes through TensorFlow: an integer becomes its decimal text
// (tf.as_string), then tf.strings.to_hash_bucket_fast (FarmHash
// Fingerprint64, i.e. farmhashna's 64-bit hash) or, with a salt,
// to_hash_bucket_strong (SipHash-2-4 keyed by the salt); the bucket is the
// hash modulo the number of bins. Decimal int64 text is at most 20 bytes:
// Fingerprint64 is written for up to 32 bytes, SipHash for any length.
#include <cstring>

#include "keras/ops_image.hpp"
#include "ops/common.hpp"

namespace keras::ops {

namespace {

constexpr std::uint64_t k0 = 0xc3a5c85c97cb3127ULL;
constexpr std::uint64_t k1 = 0xb492b66fbe98f273ULL;
constexpr std::uint64_t k2 = 0x9ae16a3b2f90404fULL;

std::uint64_t load64(const unsigned char* p) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}
std::uint32_t load32(const unsigned char* p) {
  return static_cast<std::uint32_t>(p[0]) | (static_cast<std::uint32_t>(p[1]) << 8) |
         (static_cast<std::uint32_t>(p[2]) << 16) | (static_cast<std::uint32_t>(p[3]) << 24);
}
std::uint64_t rotr(std::uint64_t v, int s) { return s == 0 ? v : (v >> s) | (v << (64 - s)); }
std::uint64_t rotl(std::uint64_t v, int s) { return (v << s) | (v >> (64 - s)); }
std::uint64_t shift_mix(std::uint64_t v) { return v ^ (v >> 47); }

std::uint64_t hash16(std::uint64_t u, std::uint64_t v, std::uint64_t mul) {
  std::uint64_t a = (u ^ v) * mul;
  a ^= a >> 47;
  std::uint64_t b = (v ^ a) * mul;
  b ^= b >> 47;
  return b * mul;
}

std::uint64_t hash_0_to_16(const unsigned char* s, std::size_t len) {
  if (len >= 8) {
    const std::uint64_t mul = k2 + len * 2, a = load64(s) + k2, b = load64(s + len - 8);
    const std::uint64_t c = rotr(b, 37) * mul + a, d = (rotr(a, 25) + b) * mul;
    return hash16(c, d, mul);
  }
  if (len >= 4) {
    const std::uint64_t mul = k2 + len * 2, a = load32(s);
    return hash16(len + (a << 3), load32(s + len - 4), mul);
  }
  if (len > 0) {
    const std::uint32_t y = static_cast<std::uint32_t>(s[0]) + (static_cast<std::uint32_t>(s[len >> 1]) << 8);
    const std::uint32_t z = static_cast<std::uint32_t>(len) + (static_cast<std::uint32_t>(s[len - 1]) << 2);
    return shift_mix(y * k2 ^ z * k0) * k2;
  }
  return k2;
}

std::uint64_t hash_17_to_32(const unsigned char* s, std::size_t len) {
  const std::uint64_t mul = k2 + len * 2, a = load64(s) * k1, b = load64(s + 8);
  const std::uint64_t c = load64(s + len - 8) * mul, d = load64(s + len - 16) * k2;
  return hash16(rotr(a + b, 43) + rotr(c, 30) + d, a + rotr(b + k2, 18) + c, mul);
}

std::string decimal(std::int64_t v) { return std::to_string(v); }

}  // namespace

std::uint64_t fingerprint64(const std::string& bytes) {
  const auto* s = reinterpret_cast<const unsigned char*>(bytes.data());
  const std::size_t len = bytes.size();
  if (len <= 16) return hash_0_to_16(s, len);
  KERAS_CHECK(len <= 32, ValueError, "fingerprint64: only texts of up to 32 bytes are supported (decimal integers "
              "have at most 20), received ", len, " bytes");
  return hash_17_to_32(s, len);
}

std::uint64_t siphash24(const std::string& bytes, std::uint64_t key0, std::uint64_t key1) {
  std::uint64_t v0 = key0 ^ 0x736f6d6570736575ULL, v1 = key1 ^ 0x646f72616e646f6dULL;
  std::uint64_t v2 = key0 ^ 0x6c7967656e657261ULL, v3 = key1 ^ 0x7465646279746573ULL;
  auto sip_round = [&] {
    v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32);
    v2 += v3; v3 = rotl(v3, 16); v3 ^= v2;
    v0 += v3; v3 = rotl(v3, 21); v3 ^= v0;
    v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32);
  };
  const auto* s = reinterpret_cast<const unsigned char*>(bytes.data());
  const std::size_t len = bytes.size(), full = len / 8 * 8;
  for (std::size_t i = 0; i < full; i += 8) {
    const std::uint64_t m = load64(s + i);
    v3 ^= m;
    sip_round();
    sip_round();
    v0 ^= m;
  }
  std::uint64_t last = static_cast<std::uint64_t>(len & 0xff) << 56;
  for (std::size_t i = full; i < len; ++i) last |= static_cast<std::uint64_t>(s[i]) << (8 * (i - full));
  v3 ^= last;
  sip_round();
  sip_round();
  v0 ^= last;
  v2 ^= 0xff;
  for (int i = 0; i < 4; ++i) sip_round();
  return v0 ^ v1 ^ v2 ^ v3;
}

Tensor hash_to_bins(const Tensor& values, std::int64_t num_bins, std::optional<std::int64_t> mask_value,
                    std::optional<std::array<std::uint64_t, 2>> salt) {
  detail::need_defined("hash_to_bins", values);
  KERAS_CHECK(values.dtype() == int64 || values.dtype() == int32, TypeError,
              "hash_to_bins: expected int32 or int64 values (strings are not a tensor dtype here), received ",
              dtype_name(values.dtype()), " of shape ", shape_str(values.shape()));
  KERAS_CHECK(num_bins > 0, ValueError, "hash_to_bins: num_bins must be positive, received ", num_bins);
  const Tensor host = values.astype(int64).cpu();
  const std::int64_t* in = host.data<std::int64_t>();
  const bool masked = mask_value.has_value() && num_bins > 1;
  const auto bins = static_cast<std::uint64_t>(masked ? num_bins - 1 : num_bins);
  std::vector<std::int64_t> out(static_cast<std::size_t>(host.size()));
  for (std::size_t i = 0; i < out.size(); ++i) {
    const std::string text = decimal(in[i]);
    const std::uint64_t h = salt ? siphash24(text, (*salt)[0], (*salt)[1]) : fingerprint64(text);
    const auto bin = static_cast<std::int64_t>(h % bins);
    out[i] = masked ? (in[i] == *mask_value ? 0 : bin + 1) : bin;
  }
  return Tensor(values.shape(), out).to(values.device());
}

}  // namespace keras::ops
