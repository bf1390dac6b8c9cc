// Close-match suggestions and the shared errors of keras::registry.
#include "keras/registry.hpp"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

namespace keras::registry {

std::size_t edit_distance(const std::string& a, const std::string& b) {
  auto same = [&](std::size_t i, std::size_t j) {
    return std::tolower(static_cast<unsigned char>(a[i])) == std::tolower(static_cast<unsigned char>(b[j]));
  };
  // Optimal string alignment: insertions, deletions, substitutions and
  // transpositions of neighbours ("rleu" -> "relu") each cost 1.
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i)
    for (std::size_t j = 1; j <= b.size(); ++j) {
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (same(i - 1, j - 1) ? 0 : 1)});
      if (i > 1 && j > 1 && same(i - 1, j - 2) && same(i - 2, j - 1)) d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[a.size()][b.size()];
}

std::vector<std::string> closest(const std::string& name, const std::vector<std::string>& known, std::size_t max) {
  const std::size_t limit = std::max<std::size_t>(2, name.size() / 3);
  std::vector<std::pair<std::size_t, std::string>> scored;
  for (const auto& k : known) {
    std::size_t d = edit_distance(name, k);
    if (d <= limit) scored.emplace_back(d, k);
  }
  std::stable_sort(scored.begin(), scored.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
  std::vector<std::string> out;
  for (std::size_t i = 0; i < scored.size() && i < max; ++i) out.push_back(scored[i].second);
  return out;
}

std::string unknown_message(const std::string& kind, const std::string& name, const std::vector<std::string>& known) {
  std::string msg = "Unknown " + kind + ": '" + name + "'.";
  auto near = closest(name, known);
  for (std::size_t i = 0; i < near.size(); ++i)
    msg += (i == 0 ? " Did you mean '" : i + 1 == near.size() ? " or '" : ", '") + near[i] + "'" +
           (i + 1 == near.size() ? "?" : "");
  msg += " Known: ";
  for (std::size_t i = 0; i < known.size(); ++i) msg += (i ? ", " : "") + known[i];
  return msg;
}

void throw_taken(const std::string& kind, const std::string& name) {
  throw ValueError(kind + " '" + name + "' is already registered; pass replace=true to shadow it");
}

void throw_builtin(const std::string& kind, const std::string& name) {
  throw ValueError("'" + name + "' is a built-in " + kind + " and cannot be registered; use another name");
}

nlohmann::json serialized(const std::string& module, const std::string& class_name, const nlohmann::json& config) {
  return {{"module", module}, {"class_name", class_name}, {"config", config}, {"registered_name", nullptr}};
}

}  // namespace keras::registry
