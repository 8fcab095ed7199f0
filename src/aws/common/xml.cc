#include "aws/common/xml.h"

#include <cctype>
#include <cstdint>

#include "core/utf8.h"

namespace azx::aws {
namespace {

std::string decodeEntities(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '&') {
      out += s[i];
      continue;
    }
    size_t semi = s.find(';', i);
    if (semi == std::string_view::npos || semi - i > 10) {
      out += s[i];
      continue;
    }
    std::string_view ent = s.substr(i + 1, semi - i - 1);
    if (ent == "amp")
      out += '&';
    else if (ent == "lt")
      out += '<';
    else if (ent == "gt")
      out += '>';
    else if (ent == "quot")
      out += '"';
    else if (ent == "apos")
      out += '\'';
    else if (!ent.empty() && ent[0] == '#') {
      uint32_t cp = 0;
      bool hex = ent.size() > 1 && (ent[1] == 'x' || ent[1] == 'X');
      for (size_t k = hex ? 2 : 1; k < ent.size(); ++k) {
        char c = ent[k];
        int d = (c >= '0' && c <= '9')          ? c - '0'
                : (hex && c >= 'a' && c <= 'f') ? c - 'a' + 10
                : (hex && c >= 'A' && c <= 'F') ? c - 'A' + 10
                                                : -1;
        if (d < 0) break;
        cp = cp * (hex ? 16 : 10) + static_cast<uint32_t>(d);
      }
      appendUtf8(out, cp);
    } else {
      out.append(s.substr(i, semi - i + 1));
    }
    i = semi;
  }
  return out;
}

class Parser {
 public:
  explicit Parser(std::string_view doc) : s_(doc) {}

  Result<XmlNode> parseDocument() {
    skipMisc();
    if (pos_ >= s_.size() || s_[pos_] != '<') return Error{"XML: no root element"};
    XmlNode root;
    if (auto r = parseElement(root, 0); !r) return r.error();
    return root;
  }

 private:
  // Skips whitespace, the XML declaration, processing instructions, comments and DOCTYPE.
  void skipMisc() {
    while (pos_ < s_.size()) {
      if (std::isspace(static_cast<unsigned char>(s_[pos_]))) {
        ++pos_;
      } else if (s_.compare(pos_, 2, "<?") == 0) {
        size_t e = s_.find("?>", pos_);
        pos_ = e == std::string_view::npos ? s_.size() : e + 2;
      } else if (s_.compare(pos_, 4, "<!--") == 0) {
        size_t e = s_.find("-->", pos_);
        pos_ = e == std::string_view::npos ? s_.size() : e + 3;
      } else if (s_.compare(pos_, 9, "<!DOCTYPE") == 0) {
        size_t e = s_.find('>', pos_);
        pos_ = e == std::string_view::npos ? s_.size() : e + 1;
      } else {
        break;
      }
    }
  }

  Result<void> parseElement(XmlNode& node, int depth) {
    if (depth > 100) return Error{"XML: nesting too deep"};
    ++pos_;  // '<'
    size_t nameStart = pos_;
    while (pos_ < s_.size() && !std::isspace(static_cast<unsigned char>(s_[pos_])) &&
           s_[pos_] != '>' && s_[pos_] != '/') {
      ++pos_;
    }
    std::string_view qname = s_.substr(nameStart, pos_ - nameStart);
    if (qname.empty()) return Error{"XML: empty element name"};
    size_t colon = qname.find(':');
    node.name = std::string(colon == std::string_view::npos ? qname : qname.substr(colon + 1));
    // Skip attributes, honouring quotes so '>' inside a value does not end the tag.
    char quote = 0;
    while (pos_ < s_.size()) {
      char c = s_[pos_];
      if (quote) {
        if (c == quote) quote = 0;
      } else if (c == '"' || c == '\'') {
        quote = c;
      } else if (c == '>' || c == '/') {
        break;
      }
      ++pos_;
    }
    if (pos_ >= s_.size()) return Error{"XML: unterminated tag"};
    if (s_[pos_] == '/') {
      if (pos_ + 1 >= s_.size() || s_[pos_ + 1] != '>') return Error{"XML: malformed tag"};
      pos_ += 2;
      return okResult();
    }
    ++pos_;  // '>'
    while (true) {
      size_t lt = s_.find('<', pos_);
      if (lt == std::string_view::npos) return Error{"XML: unterminated element " + node.name};
      node.text += decodeEntities(s_.substr(pos_, lt - pos_));
      pos_ = lt;
      if (s_.compare(pos_, 9, "<![CDATA[") == 0) {
        size_t e = s_.find("]]>", pos_);
        if (e == std::string_view::npos) return Error{"XML: unterminated CDATA"};
        node.text.append(s_.substr(pos_ + 9, e - pos_ - 9));
        pos_ = e + 3;
      } else if (s_.compare(pos_, 4, "<!--") == 0) {
        size_t e = s_.find("-->", pos_);
        if (e == std::string_view::npos) return Error{"XML: unterminated comment"};
        pos_ = e + 3;
      } else if (s_.compare(pos_, 2, "<?") == 0) {
        size_t e = s_.find("?>", pos_);
        if (e == std::string_view::npos) return Error{"XML: unterminated instruction"};
        pos_ = e + 2;
      } else if (s_.compare(pos_, 2, "</") == 0) {
        size_t gt = s_.find('>', pos_);
        if (gt == std::string_view::npos) return Error{"XML: unterminated end tag"};
        pos_ = gt + 1;
        return okResult();
      } else {
        XmlNode child;
        if (auto r = parseElement(child, depth + 1); !r) return r;
        node.children.push_back(std::move(child));
      }
    }
  }

  std::string_view s_;
  size_t pos_ = 0;
};

}  // namespace

const XmlNode* XmlNode::child(std::string_view childName) const {
  for (const auto& c : children) {
    if (c.name == childName) return &c;
  }
  return nullptr;
}

std::vector<const XmlNode*> XmlNode::childrenNamed(std::string_view childName) const {
  std::vector<const XmlNode*> out;
  for (const auto& c : children) {
    if (c.name == childName) out.push_back(&c);
  }
  return out;
}

const XmlNode* XmlNode::find(std::string_view path) const {
  const XmlNode* cur = this;
  while (cur != nullptr && !path.empty()) {
    size_t slash = path.find('/');
    std::string_view part = path.substr(0, slash);
    cur = cur->child(part);
    path = slash == std::string_view::npos ? std::string_view{} : path.substr(slash + 1);
  }
  return cur;
}

std::string XmlNode::textAt(std::string_view path) const {
  const XmlNode* n = find(path);
  return n == nullptr ? std::string{} : n->text;
}

const XmlNode* XmlNode::findDescendant(std::string_view descendantName) const {
  if (name == descendantName) return this;
  for (const auto& c : children) {
    if (const XmlNode* n = c.findDescendant(descendantName)) return n;
  }
  return nullptr;
}

Result<XmlNode> parseXml(std::string_view document) { return Parser(document).parseDocument(); }

std::string xmlEscape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace azx::aws
