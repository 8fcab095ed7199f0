#include "jobtypes/job_type.h"

namespace azx::jobtypes {

Result<void> JobTypeRegistry::add(std::shared_ptr<JobTypeFactory> factory) {
  std::string name = factory->name();
  if (factories_.count(name) > 0) {
    return Error{"job type '" + name + "' is registered twice"};
  }
  factories_.emplace(std::move(name), std::move(factory));
  return okResult();
}

void JobTypeRegistry::replace(std::shared_ptr<JobTypeFactory> factory) {
  std::string name = factory->name();
  factories_[name] = std::move(factory);
}

JobTypeFactory* JobTypeRegistry::find(const std::string& name) const {
  auto it = factories_.find(name);
  return it == factories_.end() ? nullptr : it->second.get();
}

std::vector<std::string> JobTypeRegistry::names() const {
  std::vector<std::string> result;
  for (const auto& [name, factory] : factories_) result.push_back(name);
  return result;
}

}  // namespace azx::jobtypes
