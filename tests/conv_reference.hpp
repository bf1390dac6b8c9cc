// Plain-loop references for the convolution and pooling tests, written from
// the definitions (double accumulation, no im2col), and the fixture reader.
#pragma once
#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "keras/tensor.hpp"

namespace testing::conv {

// TensorFlow's padding for one axis: returns {out, pad_before}.
inline std::pair<long, long> tf_pad(const std::string& padding, long in, long k_eff, long stride) {
  if (padding == "same") {
    long out = (in + stride - 1) / stride;
    long total = std::max((out - 1) * stride + k_eff - in, 0L);
    return {out, total / 2};
  }
  return {(in - k_eff) / stride + 1, 0};
}

struct Conv2dCase {
  long n, h, w, cin, kh, kw, cout, groups, sh, sw, dh, dw;
  std::string padding;
};

// y[n, oh, ow, co] = sum x[n, oh*sh - pt + kh*dh, ow*sw - pl + kw*dw, g*cig + ci] * w[kh, kw, ci, co]
inline std::vector<float> conv2d_ref(const Conv2dCase& c, const std::vector<float>& x, const std::vector<float>& w,
                                     long& oh_out, long& ow_out) {
  auto [oh, pt] = tf_pad(c.padding, c.h, (c.kh - 1) * c.dh + 1, c.sh);
  auto [ow, pl] = tf_pad(c.padding, c.w, (c.kw - 1) * c.dw + 1, c.sw);
  oh_out = oh, ow_out = ow;
  const long cig = c.cin / c.groups, cog = c.cout / c.groups;
  std::vector<float> y(c.n * oh * ow * c.cout);
  for (long n = 0; n < c.n; ++n)
    for (long i = 0; i < oh; ++i)
      for (long j = 0; j < ow; ++j)
        for (long co = 0; co < c.cout; ++co) {
          const long g = co / cog;
          double s = 0;
          for (long a = 0; a < c.kh; ++a)
            for (long b = 0; b < c.kw; ++b) {
              long ih = i * c.sh - pt + a * c.dh, iw = j * c.sw - pl + b * c.dw;
              if (ih < 0 || ih >= c.h || iw < 0 || iw >= c.w) continue;
              for (long ci = 0; ci < cig; ++ci)
                s += double(x[((n * c.h + ih) * c.w + iw) * c.cin + g * cig + ci]) *
                     w[((a * c.kw + b) * cig + ci) * c.cout + co];
            }
          y[((n * oh + i) * ow + j) * c.cout + co] = static_cast<float>(s);
        }
  return y;
}

// Pooling over (N, H, W, C) with TensorFlow padding; average excludes padding.
inline std::vector<float> pool2d_ref(bool max, const std::vector<float>& x, long n, long h, long w, long ch,
                                     long ph, long pw, long sh, long sw, const std::string& padding, long& oh_out,
                                     long& ow_out) {
  auto [oh, pt] = tf_pad(padding, h, ph, sh);
  auto [ow, pl] = tf_pad(padding, w, pw, sw);
  oh_out = oh, ow_out = ow;
  std::vector<float> y(n * oh * ow * ch);
  for (long b = 0; b < n; ++b)
    for (long i = 0; i < oh; ++i)
      for (long j = 0; j < ow; ++j)
        for (long c = 0; c < ch; ++c) {
          double acc = max ? -std::numeric_limits<double>::infinity() : 0.0;
          long count = 0;
          for (long a = 0; a < ph; ++a)
            for (long e = 0; e < pw; ++e) {
              long ih = i * sh - pt + a, iw = j * sw - pl + e;
              if (ih < 0 || ih >= h || iw < 0 || iw >= w) continue;
              double v = x[((b * h + ih) * w + iw) * ch + c];
              acc = max ? std::max(acc, v) : acc + v;
              ++count;
            }
          y[((b * oh + i) * ow + j) * ch + c] = static_cast<float>(max ? acc : acc / count);
        }
  return y;
}

// Fixture files written by scripts/make_conv_fixtures.py. Format, one item
// per line:  `tensor NAME RANK D0 D1 ...` followed by a line of values, or
// `param NAME VALUE` (a string). `#` starts a comment line.
struct Fixture {
  std::map<std::string, keras::Tensor> tensors;
  std::map<std::string, std::string> params;
  const keras::Tensor& t(const std::string& k) const { return tensors.at(k); }
  std::string p(const std::string& k) const { return params.at(k); }
  int i(const std::string& k) const { return std::stoi(params.at(k)); }
  double d(const std::string& k) const { return std::stod(params.at(k)); }
};

inline Fixture read_fixture(const std::string& name) {
  const std::string path = std::string(KERAS_SOURCE_DIR) + "/tests/fixtures/conv/" + name;
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open fixture " + path);
  Fixture f;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream ls(line);
    std::string kind, key;
    ls >> kind >> key;
    if (kind == "param") {
      std::string v;
      ls >> v;
      f.params[key] = v;
    } else if (kind == "tensor") {
      int rank;
      ls >> rank;
      keras::Shape s(rank);
      for (auto& d : s) ls >> d;
      std::getline(in, line);
      std::istringstream vs(line);
      std::vector<float> v(keras::shape_size(s));
      for (auto& x : v) vs >> x;
      f.tensors[key] = keras::Tensor(s, v);
    }
  }
  return f;
}

}  // namespace testing::conv
