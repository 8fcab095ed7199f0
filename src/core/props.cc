#include "core/props.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace azx {

PropsPtr Props::fromMap(const std::map<std::string, std::string>& values, PropsPtr parent,
                        std::string source) {
  auto props = make(std::move(parent), std::move(source));
  props->putAll(values);
  return props;
}

PropsPtr Props::fromMap(std::map<std::string, std::string>&& values, PropsPtr parent,
                        std::string source) {
  auto props = make(std::move(parent), std::move(source));
  props->local_ = std::move(values);
  return props;
}

void Props::putAll(const std::map<std::string, std::string>& values) {
  for (const auto& [k, v] : values) local_[k] = v;
}

std::optional<std::string> Props::get(const std::string& key) const {
  for (const Props* level = this; level != nullptr; level = level->parent_.get()) {
    auto it = level->local_.find(key);
    if (it != level->local_.end()) return it->second;
  }
  return std::nullopt;
}

std::string Props::getOr(const std::string& key, const std::string& fallback) const {
  auto value = get(key);
  return value ? *value : fallback;
}

bool Props::getBool(const std::string& key, bool fallback) const {
  auto value = get(key);
  return value ? parseBool(*value) : fallback;
}

bool Props::parseBool(const std::string& value) {
  std::string t = trim(value);
  std::transform(t.begin(), t.end(), t.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return t == "true";
}

std::optional<long long> Props::getLong(const std::string& key) const {
  auto value = get(key);
  if (!value) return std::nullopt;
  std::string t = trim(*value);
  if (!t.empty() && t[0] == '+') t.erase(0, 1);
  long long result = 0;
  auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), result);
  if (ec != std::errc() || ptr != t.data() + t.size() || t.empty()) return std::nullopt;
  return result;
}

std::vector<std::string> Props::getList(const std::string& key) const {
  auto value = get(key);
  if (!value) return {};
  return splitCommaList(*value);
}

void Props::setEarliestAncestor(PropsPtr ancestor) {
  Props* level = this;
  while (level->parent_) level = level->parent_.get();
  if (level != ancestor.get()) level->parent_ = std::move(ancestor);
}

std::set<std::string> Props::keys() const {
  std::set<std::string> result;
  for (const Props* level = this; level != nullptr; level = level->parent_.get()) {
    for (const auto& [k, v] : level->local_) result.insert(k);
  }
  return result;
}

std::map<std::string, std::string> Props::flatten() const {
  std::map<std::string, std::string> result;
  for (const Props* level = this; level != nullptr; level = level->parent_.get()) {
    for (const auto& [k, v] : level->local_) result.emplace(k, v);  // nearest inserted first
  }
  return result;
}

PropsPtr Props::clone(const PropsPtr& props) {
  auto copy = cloneTop(props);
  if (copy) copy->parent_ = clone(props->parent_);
  return copy;
}

PropsPtr Props::cloneTop(const PropsPtr& props) {
  if (!props) return nullptr;
  auto copy = make(props->parent_, props->source_);
  copy->local_ = props->local_;
  return copy;
}

std::string trim(const std::string& text) {
  size_t begin = 0;
  size_t end = text.size();
  while (begin < end && std::isspace(static_cast<unsigned char>(text[begin]))) ++begin;
  while (end > begin && std::isspace(static_cast<unsigned char>(text[end - 1]))) --end;
  return text.substr(begin, end - begin);
}

std::vector<std::string> splitCommaList(const std::string& text) {
  std::vector<std::string> result;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    std::string entry = trim(text.substr(start, comma - start));
    if (!entry.empty()) result.push_back(std::move(entry));
    start = comma + 1;
  }
  return result;
}

}  // namespace azx
