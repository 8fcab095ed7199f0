#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace azx::aws {

// A minimal XML element tree, enough for AWS query and rest-xml responses: elements, text,
// entities and CDATA. Attributes (namespaces) are skipped and namespace prefixes dropped.
struct XmlNode {
  std::string name;
  std::string text;  // concatenated character data directly inside this element
  std::vector<XmlNode> children;

  // First child with this name, or nullptr.
  const XmlNode* child(std::string_view childName) const;
  // All children with this name.
  std::vector<const XmlNode*> childrenNamed(std::string_view childName) const;
  // Follows a '/'-separated path of child names ("Error/Code"); nullptr when absent.
  const XmlNode* find(std::string_view path) const;
  // Text at a path, or an empty string.
  std::string textAt(std::string_view path) const;
  // First descendant (depth-first, self included) with this name, or nullptr.
  const XmlNode* findDescendant(std::string_view descendantName) const;
};

// Parses a document and returns its root element.
Result<XmlNode> parseXml(std::string_view document);

// Escapes &, <, >, " and ' for element text.
std::string xmlEscape(std::string_view text);

}  // namespace azx::aws
