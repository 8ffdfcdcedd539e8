// The JSON text a dialect encoded last, kept for the next notification with
// an equal key: the notifications of a job share their package, and
// building and encoding its JSON object with jansson is most of what a
// notification costs (1.3-1.6 µs each, against 0.15 µs with the text kept:
// `ota_encode_bench`, bench/RESULTS.md "(f) again, session 10"). One entry,
// since a campaign notifies its devices one job at a time. Dialects encode
// on the broker's thread only.
#pragma once

#include <optional>
#include <string>
#include <tuple>
#include <utility>

namespace ota {

// The key is `Parts...` (a package, a job id, a product's settings).
template <typename... Parts>
class LastEncoded {
 public:
  // The parts as the caller holds them: compared in place, copied only
  // when they are new (a package and a product's settings are dozens of
  // strings).
  using Key = std::tuple<const Parts&...>;
  // The text for `key`: encode() when `key` is not the last one asked.
  template <typename Encode>
  const std::string& get(const Key& key, Encode&& encode) {
    if (!last_ || !(last_->first == key)) last_.emplace(std::tuple<Parts...>(key), encode());
    return last_->second;
  }

 private:
  std::optional<std::pair<std::tuple<Parts...>, std::string>> last_;
};

}  // namespace ota
