// Python's str.format for checkpoint file names ({epoch:02d}, {val_loss:.3f})
// and Python's float repr (CSV cells): written from Python's documented
// format-spec mini-language and repr rules.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <string>

#include "keras/callbacks.hpp"
#include "keras/errors.hpp"

namespace keras::callbacks {
namespace {

struct Spec {
  char fill = ' ', align = 0, sign = '-', type = 0, grouping = 0;
  bool alternate = false;
  int width = 0, precision = -1;
};

bool is_align(char c) { return c == '<' || c == '>' || c == '^' || c == '='; }

int read_int(const std::string& s, std::size_t& i) {
  int v = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) v = v * 10 + (s[i++] - '0');
  return v;
}

Spec parse_spec(const std::string& s, const std::string& pattern) {
  Spec sp;
  std::size_t i = 0;
  if (s.size() >= 2 && is_align(s[1])) {
    sp.fill = s[0];
    sp.align = s[1];
    i = 2;
  } else if (!s.empty() && is_align(s[0])) {
    sp.align = s[0];
    i = 1;
  }
  if (i < s.size() && (s[i] == '+' || s[i] == '-' || s[i] == ' ')) sp.sign = s[i++];
  if (i < s.size() && s[i] == '#') sp.alternate = (++i, true);
  if (i < s.size() && s[i] == '0') {
    if (!sp.align) {
      sp.fill = '0';
      sp.align = '=';
    }
    ++i;
  }
  sp.width = read_int(s, i);
  if (i < s.size() && (s[i] == ',' || s[i] == '_')) sp.grouping = s[i++];
  if (i < s.size() && s[i] == '.') {
    ++i;
    std::size_t start = i;
    sp.precision = read_int(s, i);
    KERAS_CHECK(i > start, ValueError, "Format specifier missing precision in '", s, "' of template \"", pattern,
                "\"");
  }
  if (i < s.size()) sp.type = s[i++];
  KERAS_CHECK(i == s.size(), ValueError, "Invalid format specifier '", s, "' in template \"", pattern, "\"");
  return sp;
}

// Inserts the thousands separator into the integer digits of `body`.
std::string group_digits(const std::string& body, char sep) {
  std::size_t end = body.find_first_not_of("0123456789");
  if (end == std::string::npos) end = body.size();
  std::string out;
  for (std::size_t i = 0; i < end; ++i) {
    if (i > 0 && (end - i) % 3 == 0) out += sep;
    out += body[i];
  }
  return out + body.substr(end);
}

// Sign, grouping and padding around the digits of a number.
std::string pad_number(std::string body, bool negative, const Spec& sp) {
  if (sp.grouping) body = group_digits(body, sp.grouping);
  std::string sign = negative ? "-" : sp.sign == '+' ? "+" : sp.sign == ' ' ? " " : "";
  std::size_t len = sign.size() + body.size();
  if (static_cast<std::size_t>(sp.width) <= len) return sign + body;
  std::size_t pad = sp.width - len;
  switch (sp.align ? sp.align : '>') {
    case '<': return sign + body + std::string(pad, sp.fill);
    case '^': return std::string(pad / 2, sp.fill) + sign + body + std::string(pad - pad / 2, sp.fill);
    case '=': return sign + std::string(pad, sp.fill) + body;
    default: return std::string(pad, sp.fill) + sign + body;
  }
}

std::string c_format(const char* conv, int precision, double v) {
  char f[16], buf[512];
  std::snprintf(f, sizeof f, "%%.%d%s", precision, conv);
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

// Python's float format with a precision and no type: like 'g', but
// scientific from exponent p - 1 on and a digit after the point kept.
std::string general_no_type(double a, int p) {
  std::string e = c_format("e", p - 1, a);
  int exp10 = std::stoi(e.substr(e.find('e') + 1));
  auto strip = [](std::string m) {
    if (m.find('.') == std::string::npos) return m;
    while (m.back() == '0') m.pop_back();
    if (m.back() == '.') m.push_back('0');
    return m;
  };
  if (exp10 >= -4 && exp10 < p - 1) return strip(c_format("f", p - 1 - exp10, a) + (p - 1 - exp10 == 0 ? ".0" : ""));
  std::size_t at = e.find('e');
  std::string mant = e.substr(0, at);
  if (mant.find('.') != std::string::npos) {
    while (mant.back() == '0') mant.pop_back();
    if (mant.back() == '.') mant.pop_back();
  }
  return mant + e.substr(at);
}

std::string format_float(double v, const Spec& sp, const std::string& name, const std::string& pattern) {
  bool neg = std::signbit(v) && !std::isnan(v);
  double a = std::abs(v);
  std::string body;
  char t = sp.type;
  if (std::isnan(a) || std::isinf(a)) {
    body = std::isnan(a) ? "nan" : "inf";
    if (t == 'F' || t == 'E' || t == 'G') body = std::isnan(a) ? "NAN" : "INF";
    if (t == '%') body += "%";
    return pad_number(body, neg, sp);
  }
  int p = sp.precision < 0 ? 6 : sp.precision;
  const char* alt = sp.alternate ? "#" : "";
  switch (t) {
    case 'f': case 'F': body = c_format((std::string(alt) + "f").c_str(), p, a); break;
    case 'e': case 'E': body = c_format((std::string(alt) + t).c_str(), p, a); break;
    case 'g': case 'G': case 'n': body = c_format((std::string(alt) + (t == 'G' ? "G" : "g")).c_str(), p == 0 ? 1 : p, a); break;
    case '%': body = c_format("f", p, a * 100) + "%"; break;
    case 0:
      if (sp.precision < 0) {
        body = python_float_repr(a);
      } else {
        body = general_no_type(a, p == 0 ? 1 : p);
      }
      break;
    default:
      throw ValueError("Unknown format code '" + std::string(1, t) + "' for the float '" + name +
                       "' in template \"" + pattern + "\"");
  }
  return pad_number(body, neg, sp);
}

std::string format_int(std::int64_t v, const Spec& sp, const std::string& name, const std::string& pattern) {
  if (sp.type && std::string("eEfFgG%").find(sp.type) != std::string::npos)
    return format_float(static_cast<double>(v), sp, name, pattern);
  KERAS_CHECK(sp.type == 0 || sp.type == 'd' || sp.type == 'n', ValueError, "Unknown format code '",
              std::string(1, sp.type), "' for the integer '", name, "' in template \"", pattern, "\"");
  KERAS_CHECK(sp.precision < 0, ValueError, "Precision not allowed in integer format specifier for '", name,
              "' in template \"", pattern, "\"");
  std::string digits = std::to_string(v < 0 ? -static_cast<std::uint64_t>(v) : static_cast<std::uint64_t>(v));
  return pad_number(digits, v < 0, sp);
}

}  // namespace

std::string python_float_repr(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  if (v == 0) return std::signbit(v) ? "-0.0" : "0.0";
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, std::abs(v), std::chars_format::scientific);
  std::string sci(buf, r.ptr);
  std::size_t e = sci.find('e');
  std::string digits = sci.substr(0, e);
  digits.erase(std::remove(digits.begin(), digits.end(), '.'), digits.end());
  int exp10 = std::stoi(sci.substr(e + 1));
  int decpt = exp10 + 1;  // value = 0.<digits> * 10^decpt
  std::string out = v < 0 ? "-" : "";
  if (decpt > -4 && decpt <= 16) {
    if (decpt <= 0) {
      out += "0." + std::string(-decpt, '0') + digits;
    } else if (static_cast<std::size_t>(decpt) >= digits.size()) {
      out += digits + std::string(decpt - digits.size(), '0') + ".0";
    } else {
      out += digits.substr(0, decpt) + "." + digits.substr(decpt);
    }
    return out;
  }
  out += digits.substr(0, 1);
  if (digits.size() > 1) out += "." + digits.substr(1);
  char ex[16];
  std::snprintf(ex, sizeof ex, "e%c%02d", exp10 < 0 ? '-' : '+', std::abs(exp10));
  return out + ex;
}

std::string python_format(const std::string& pattern, const std::map<std::string, std::int64_t>& ints,
                          const Logs& floats) {
  std::string out;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (c == '}') {
      KERAS_CHECK(i + 1 < pattern.size() && pattern[i + 1] == '}', ValueError,
                  "Single '}' encountered in format string \"", pattern, "\"");
      out += '}';
      ++i;
      continue;
    }
    if (c != '{') {
      out += c;
      continue;
    }
    if (i + 1 < pattern.size() && pattern[i + 1] == '{') {
      out += '{';
      ++i;
      continue;
    }
    std::size_t close = pattern.find('}', i);
    KERAS_CHECK(close != std::string::npos, ValueError, "Single '{' encountered in format string \"", pattern, "\"");
    std::string field = pattern.substr(i + 1, close - i - 1);
    std::size_t colon = field.find(':');
    std::string name = field.substr(0, colon);
    std::string spec = colon == std::string::npos ? "" : field.substr(colon + 1);
    KERAS_CHECK(name.find_first_of("!{[.") == std::string::npos, ValueError, "Unsupported replacement field '{",
                field, "}' in template \"", pattern, "\" (only {name} and {name:spec})");
    Spec sp = parse_spec(spec, pattern);
    if (auto it = ints.find(name); it != ints.end()) {
      out += format_int(it->second, sp, name, pattern);
    } else if (auto ft = floats.find(name); ft != floats.end()) {
      out += format_float(ft->second, sp, name, pattern);
    } else {
      std::string known;
      for (auto& [k, v] : ints) known += (known.empty() ? "" : ", ") + k;
      for (auto& [k, v] : floats) known += (known.empty() ? "" : ", ") + k;
      throw ValueError("Failed to format the filepath \"" + pattern + "\": no value named '" + name +
                       "' (available: " + known + ")");
    }
    i = close;
  }
  return out;
}

}  // namespace keras::callbacks
