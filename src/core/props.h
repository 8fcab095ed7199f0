#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace azx {

class Props;
using PropsPtr = std::shared_ptr<Props>;

// Azkaban's Props: local key/value pairs plus an optional parent. A lookup that misses
// locally continues in the parent, so a chain expresses precedence (nearest level wins).
// Not thread-safe; a chain handed to another thread must not be mutated.
class Props {
 public:
  Props() = default;
  explicit Props(PropsPtr parent, std::string source = {})
      : parent_(std::move(parent)), source_(std::move(source)) {}

  static PropsPtr make(PropsPtr parent = nullptr, std::string source = {}) {
    return std::make_shared<Props>(std::move(parent), std::move(source));
  }
  static PropsPtr fromMap(const std::map<std::string, std::string>& values,
                          PropsPtr parent = nullptr, std::string source = {});
  // Takes the map over as the local level: no copy.
  static PropsPtr fromMap(std::map<std::string, std::string>&& values, PropsPtr parent = nullptr,
                          std::string source = {});

  void put(const std::string& key, std::string value) { local_[key] = std::move(value); }
  void putAll(const std::map<std::string, std::string>& values);
  bool removeLocal(const std::string& key) { return local_.erase(key) > 0; }

  // Chain lookup.
  std::optional<std::string> get(const std::string& key) const;
  std::string getOr(const std::string& key, const std::string& fallback) const;
  bool contains(const std::string& key) const { return get(key).has_value(); }
  // Typed reads as Azkaban's Props: booleans are true iff the trimmed value is "true"
  // ignoring case; an unparseable int is nullopt.
  bool getBool(const std::string& key, bool fallback) const;
  static bool parseBool(const std::string& value);
  std::optional<long long> getLong(const std::string& key) const;
  std::vector<std::string> getList(const std::string& key) const;

  const std::map<std::string, std::string>& local() const { return local_; }
  bool containsLocal(const std::string& key) const { return local_.count(key) > 0; }

  const PropsPtr& parent() const { return parent_; }
  void setParent(PropsPtr parent) { parent_ = std::move(parent); }
  // Hangs `ancestor` below the farthest level of this chain (Props.setEarliestAncestor).
  void setEarliestAncestor(PropsPtr ancestor);

  const std::string& source() const { return source_; }
  void setSource(std::string source) { source_ = std::move(source); }

  // Every key visible through the chain.
  std::set<std::string> keys() const;
  // One map in which the nearest level wins for each key.
  std::map<std::string, std::string> flatten() const;
  // Deep copy of the whole chain, so the copy can be re-parented without touching the original.
  static PropsPtr clone(const PropsPtr& props);
  // Copy of the nearest level only, sharing the parent chain: for a chain whose parents are
  // no longer changed.
  static PropsPtr cloneTop(const PropsPtr& props);

 private:
  std::map<std::string, std::string> local_;
  PropsPtr parent_;
  std::string source_;
};

// Trims ASCII white space on both ends.
std::string trim(const std::string& text);
// Splits on commas, trimming each entry and dropping empty ones.
std::vector<std::string> splitCommaList(const std::string& text);

}  // namespace azx
