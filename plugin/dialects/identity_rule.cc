#include "dialects/identity_rule.h"

namespace ota {

Result<IdentityPattern> IdentityPattern::parse(std::string_view text) {
  IdentityPattern p;
  p.text_ = std::string(text);
  bool names_device = false;
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] == '*') {
      // "**" means no more than "*".
      if (p.pieces_.empty() || p.pieces_.back().kind != Kind::kAny) {
        p.pieces_.push_back({Kind::kAny, {}});
      }
      ++i;
      continue;
    }
    if (text[i] == '{') {
      const size_t close = text.find('}', i);
      const std::string_view name =
          close == std::string_view::npos ? text.substr(i) : text.substr(i, close - i + 1);
      if (name == "{pk}") {
        p.pieces_.push_back({Kind::kProduct, {}});
        p.names_product_ = true;
      } else if (name == "{dn}") {
        p.pieces_.push_back({Kind::kDevice, {}});
        names_device = true;
      } else {
        return Error{"pattern '" + std::string(text) + "' has an unknown placeholder '" +
                     std::string(name) + "' (known: {pk}, {dn})"};
      }
      i += name.size();
      continue;
    }
    if (p.pieces_.empty() || p.pieces_.back().kind != Kind::kLiteral) {
      p.pieces_.push_back({Kind::kLiteral, {}});
    }
    p.pieces_.back().literal += text[i];
    ++i;
  }
  if (!names_device) {
    return Error{"pattern '" + std::string(text) + "' must contain {dn}"};
  }
  for (const Piece& piece : p.pieces_) {
    switch (piece.kind) {
      case Kind::kLiteral: p.literal_bytes_ += piece.literal.size(); break;
      case Kind::kProduct: p.product_pieces_++; break;
      case Kind::kDevice: p.device_pieces_++; break;
      case Kind::kAny: p.has_wildcard_ = true; break;
    }
  }
  return p;
}

bool IdentityPattern::match_from(size_t piece, std::string_view rest,
                                 const DeviceKey& device) const {
  // Piece by piece without recursion up to a wildcard: this runs for every
  // device message.
  for (; piece < pieces_.size(); ++piece) {
    const Piece& p = pieces_[piece];
    std::string_view want;
    switch (p.kind) {
      case Kind::kLiteral: want = p.literal; break;
      case Kind::kProduct: want = device.product; break;
      case Kind::kDevice: want = device.device; break;
      case Kind::kAny:
        if (piece + 1 == pieces_.size()) return true;  // whatever is left
        // Patterns are short and names bounded: trying every split is cheap.
        for (size_t n = 0; n <= rest.size(); ++n) {
          if (match_from(piece + 1, rest.substr(n), device)) return true;
        }
        return false;
    }
    // A name must be there: an empty one matches nothing.
    if (want.empty() && p.kind != Kind::kLiteral) return false;
    if (rest.size() < want.size() || !same_bytes(rest.substr(0, want.size()), want)) return false;
    rest.remove_prefix(want.size());
  }
  return rest.empty();
}

bool IdentityPattern::matches(std::string_view value, const DeviceKey& device) const {
  const size_t fixed = literal_bytes_ + product_pieces_ * device.product.size() +
                       device_pieces_ * device.device.size();
  if (has_wildcard_ ? value.size() < fixed : value.size() != fixed) return false;
  return match_from(0, value, device);
}

IdentityRule IdentityRule::open() {
  IdentityRule rule;
  rule.open_ = true;
  return rule;
}

Result<IdentityRule> IdentityRule::parse(std::string_view spec) {
  std::vector<IdentityPattern> username, client_id;
  while (!spec.empty()) {
    const size_t comma = spec.find(',');
    std::string_view item = spec.substr(0, comma);
    spec = comma == std::string_view::npos ? std::string_view() : spec.substr(comma + 1);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item.empty()) continue;
    std::vector<IdentityPattern>* into = nullptr;
    if (item.starts_with("username:")) {
      into = &username;
      item.remove_prefix(9);
    } else if (item.starts_with("clientid:")) {
      into = &client_id;
      item.remove_prefix(9);
    } else {
      return Error{"'" + std::string(item) +
                   "' must start with username: or clientid: (e.g. username:{dn}&{pk})"};
    }
    Result<IdentityPattern> pattern = IdentityPattern::parse(item);
    if (!pattern) return Error{pattern.error()};
    into->push_back(std::move(pattern.value()));
  }
  if (username.empty() && client_id.empty()) return Error{"names no pattern"};
  return IdentityRule(std::move(username), std::move(client_id));
}

IdentityRule IdentityRule::of(std::initializer_list<std::string_view> username,
                              std::initializer_list<std::string_view> client_id) {
  std::vector<IdentityPattern> u, c;
  for (std::string_view t : username) u.push_back(IdentityPattern::parse(t).value());
  for (std::string_view t : client_id) c.push_back(IdentityPattern::parse(t).value());
  return IdentityRule(std::move(u), std::move(c));
}

bool IdentityRule::speaks_for(const DeviceConnection& from, const DeviceKey& device) const {
  if (open_) return true;
  const auto any = [&](const std::vector<IdentityPattern>& patterns, std::string_view value) {
    if (value.empty()) return false;
    for (const IdentityPattern& p : patterns) {
      if (p.matches(value, device)) return true;
    }
    return false;
  };
  // The authenticated identity decides when there is one to decide by.
  if (!username_.empty() && !from.username.empty()) return any(username_, from.username);
  return any(client_id_, from.client_id);
}

std::string IdentityRule::describe() const {
  if (open_) return "none";
  std::string out;
  for (const IdentityPattern& p : username_) out += (out.empty() ? "" : ",") + ("username:" + p.text());
  for (const IdentityPattern& p : client_id_) out += (out.empty() ? "" : ",") + ("clientid:" + p.text());
  return out.empty() ? "(nobody)" : out;
}

Result<IdentityChoice> IdentityChoice::parse(std::string_view value) {
  IdentityChoice c;
  if (value == "sdk") return c;
  if (value == "username") c.kind = Kind::kUsername;
  else if (value == "clientid") c.kind = Kind::kClientId;
  else if (value == "none") c.kind = Kind::kNone;
  else {
    Result<IdentityRule> rule = IdentityRule::parse(value);
    if (!rule) {
      return Error{"must be sdk, username, clientid, none or a list of username:<pattern> "
                   "and clientid:<pattern>: " + rule.error()};
    }
    c.kind = Kind::kCustom;
    c.custom = std::move(rule.value());
  }
  return c;
}

IdentityRule IdentityChoice::rule_given(const IdentityRule& sdk) const {
  switch (kind) {
    case Kind::kSdk: return sdk;
    case Kind::kUsername: return sdk.usernames_only();
    case Kind::kClientId: return sdk.client_ids_only();
    case Kind::kCustom: return custom;
    case Kind::kNone: return IdentityRule::open();
  }
  return sdk;
}

bool IdentityChoice::trusts_client_ids() const {
  return kind == Kind::kClientId || kind == Kind::kNone ||
         (kind == Kind::kCustom && !custom.decides_by_username());
}

std::string IdentityChoice::describe() const {
  switch (kind) {
    case Kind::kSdk: return "sdk";
    case Kind::kUsername: return "username";
    case Kind::kClientId: return "clientid";
    case Kind::kCustom: return custom.describe();
    case Kind::kNone: return "none";
  }
  return "sdk";
}

}  // namespace ota
