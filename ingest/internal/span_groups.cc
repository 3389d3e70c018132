#include "ingest/internal/span_groups.h"

#include <bit>
#include <cstdint>
#include <functional>
#include <string_view>
#include <unordered_map>
#include <variant>

#include "ingest/semantic_conventions.h"

namespace roost::ingest::internal {
namespace {

// In-memory hashing only (never persisted), so std::hash is fine.
uint64_t Mix(uint64_t h, uint64_t v) { return (h ^ v) * 0x100000001b3ULL + 0x9e3779b97f4a7c15ULL; }

uint64_t HashString(std::string_view s) { return std::hash<std::string_view>{}(s); }

struct ValueHasher {
  uint64_t operator()(std::monostate) const { return 0; }
  uint64_t operator()(const std::string& s) const { return HashString(s); }
  uint64_t operator()(bool b) const { return b ? 1 : 2; }
  uint64_t operator()(int64_t i) const { return static_cast<uint64_t>(i); }
  uint64_t operator()(double d) const { return std::bit_cast<uint64_t>(d); }
  template <typename T>
  uint64_t operator()(const std::vector<T>& values) const {
    uint64_t h = values.size();
    for (const T& v : values) h = Mix(h, (*this)(v));
    return h;
  }
};

uint64_t HashAttributes(const Attributes& attributes) {
  uint64_t h = attributes.size();
  for (const Attribute& a : attributes) {
    h = Mix(h, HashString(a.key));
    h = Mix(h, std::visit(ValueHasher{}, a.value));
  }
  return h;
}

uint64_t HashScope(const InstrumentationScope& scope) {
  return Mix(Mix(HashString(scope.name), HashString(scope.version)),
             HashAttributes(scope.attributes));
}

Attributes WithProject(const Attributes& resource, const std::string& project) {
  Attributes out = resource;
  for (Attribute& a : out) {
    if (a.key == kProjectNameAttribute) {
      a.value = project;
      return out;
    }
  }
  out.push_back({std::string(kProjectNameAttribute), project});
  return out;
}

}  // namespace

std::vector<ResourceGroup> GroupSpans(std::span<const Span> spans) {
  std::vector<ResourceGroup> groups;
  std::vector<const Span*> first_of_group;  // per resource group: its first span
  std::unordered_multimap<uint64_t, size_t> resource_index;
  std::unordered_multimap<uint64_t, size_t> scope_index;  // hash -> index into groups[g].scopes
  const Span* previous = nullptr;  // spans mostly come in runs of one resource and scope
  size_t previous_group = 0, previous_scope = 0;
  for (const Span& span : spans) {
    if (previous != nullptr && previous->project == span.project &&
        previous->resource_attributes == span.resource_attributes &&
        previous->scope == span.scope) {
      groups[previous_group].scopes[previous_scope].spans.push_back(&span);
      previous = &span;
      continue;
    }
    const uint64_t rh = Mix(HashAttributes(span.resource_attributes), HashString(span.project));
    size_t g = groups.size();
    for (auto [it, end] = resource_index.equal_range(rh); it != end; ++it) {
      const Span& first = *first_of_group[it->second];
      if (first.project == span.project && first.resource_attributes == span.resource_attributes) {
        g = it->second;
        break;
      }
    }
    if (g == groups.size()) {
      groups.push_back({WithProject(span.resource_attributes, span.project), {}});
      first_of_group.push_back(&span);
      resource_index.emplace(rh, g);
    }
    std::vector<ScopeGroup>& scopes = groups[g].scopes;
    const uint64_t sh = Mix(HashScope(span.scope), g);
    size_t s = scopes.size();
    for (auto [it, end] = scope_index.equal_range(sh); it != end; ++it) {
      if (it->second < scopes.size() && *scopes[it->second].scope == span.scope) {
        s = it->second;
        break;
      }
    }
    if (s == scopes.size()) {
      scopes.push_back({&span.scope, {}});
      scope_index.emplace(sh, s);
    }
    scopes[s].spans.push_back(&span);
    previous = &span;
    previous_group = g;
    previous_scope = s;
  }
  return groups;
}

}  // namespace roost::ingest::internal
