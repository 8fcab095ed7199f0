#include "aws/sigv4/sigv4.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <utility>

#include "aws/common/time_util.h"
#include "aws/credentials/credentials.h"

namespace azx::aws::sigv4 {
namespace {

bool isUnreserved(unsigned char c) {
  return std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~';
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string toLower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

}  // namespace

std::string sha256Hex(std::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  return toHex(std::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

std::string hmacSha256(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<const char*>(out), len);
}

std::string toHex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += kHex[c >> 4];
    out += kHex[c & 0xF];
  }
  return out;
}

std::string uriEncode(std::string_view text, bool keepSlash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() * 3);
  for (unsigned char c : text) {
    if (isUnreserved(c) || (keepSlash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  return out;
}

std::string uriDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      int hi = hexValue(text[i + 1]);
      int lo = hexValue(text[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out += text[i];
  }
  return out;
}

std::string normalizePath(std::string_view path) {
  std::vector<std::string_view> segments;
  size_t i = 0;
  while (i <= path.size()) {
    size_t slash = path.find('/', i);
    if (slash == std::string_view::npos) slash = path.size();
    std::string_view seg = path.substr(i, slash - i);
    if (seg.empty() || seg == ".") {
      // repeated slash or pointless dot
    } else if (seg == "..") {
      if (!segments.empty()) segments.pop_back();
    } else {
      segments.push_back(seg);
    }
    i = slash + 1;
  }
  // A trailing slash survives, and so does the directory meaning of a final "." or "..".
  bool trailing = !path.empty() && !segments.empty() &&
                  (path.back() == '/' || path.ends_with("/.") || path.ends_with("/.."));
  std::string out = "/";
  for (size_t k = 0; k < segments.size(); ++k) {
    if (k > 0) out += '/';
    out.append(segments[k]);
  }
  if (trailing) out += '/';
  return out;
}

std::string canonicalUri(std::string_view pathAsSent, bool s3) {
  if (s3) return pathAsSent.empty() ? std::string("/") : std::string(pathAsSent);
  return uriEncode(normalizePath(pathAsSent), /*keepSlash=*/true);
}

std::string canonicalQuery(std::string_view rawQuery) {
  std::vector<std::pair<std::string, std::string>> params;
  size_t i = 0;
  while (i < rawQuery.size()) {
    size_t amp = rawQuery.find('&', i);
    if (amp == std::string_view::npos) amp = rawQuery.size();
    std::string_view part = rawQuery.substr(i, amp - i);
    if (!part.empty()) {
      size_t eq = part.find('=');
      std::string_view name = part.substr(0, eq);
      std::string_view value =
          eq == std::string_view::npos ? std::string_view{} : part.substr(eq + 1);
      params.emplace_back(uriEncode(uriDecode(name), false), uriEncode(uriDecode(value), false));
    }
    i = amp + 1;
  }
  std::sort(params.begin(), params.end());
  std::string out;
  for (const auto& [name, value] : params) {
    if (!out.empty()) out += '&';
    out += name;
    out += '=';
    out += value;
  }
  return out;
}

std::string canonicalHeaderValue(std::string_view value) {
  std::string out;
  bool pendingSpace = false;
  for (char c : value) {
    if (isSpace(c)) {
      pendingSpace = !out.empty();
    } else {
      if (pendingSpace) out += ' ';
      pendingSpace = false;
      out += c;
    }
  }
  return out;
}

bool isUnsignedHeader(std::string_view lowerName) {
  return lowerName == "authorization" || lowerName == "user-agent" || lowerName == "expect" ||
         lowerName == "x-amzn-trace-id";
}

CanonicalHeaders canonicalHeaders(const std::vector<HttpHeader>& headers) {
  std::map<std::string, std::string> merged;  // sorted by lower-case name
  for (const auto& h : headers) {
    std::string name = toLower(h.name);
    if (isUnsignedHeader(name)) continue;
    std::string value = canonicalHeaderValue(h.value);
    auto [it, inserted] = merged.emplace(name, value);
    if (!inserted) it->second += "," + value;
  }
  CanonicalHeaders out;
  for (const auto& [name, value] : merged) {
    out.block += name + ":" + value + "\n";
    if (!out.signedHeaders.empty()) out.signedHeaders += ';';
    out.signedHeaders += name;
  }
  return out;
}

CanonicalRequest canonicalRequest(const CanonicalRequestInput& in) {
  CanonicalHeaders ch = canonicalHeaders(in.headers);
  std::string text;
  text += in.method + "\n";
  text += canonicalUri(in.path, in.s3) + "\n";
  text += canonicalQuery(in.query) + "\n";
  text += ch.block + "\n";
  text += ch.signedHeaders + "\n";
  text += in.payloadHash;
  return CanonicalRequest{std::move(text), std::move(ch.signedHeaders)};
}

std::string credentialScope(std::string_view date8, std::string_view region,
                            std::string_view service) {
  std::string out;
  out.append(date8).append("/").append(region).append("/").append(service).append("/aws4_request");
  return out;
}

std::string stringToSign(std::string_view amzDate, std::string_view scope,
                         std::string_view canonicalRequestText) {
  std::string out(kAlgorithm);
  out.append("\n").append(amzDate).append("\n").append(scope).append("\n");
  out += sha256Hex(canonicalRequestText);
  return out;
}

std::string signingKey(std::string_view secret, std::string_view date8, std::string_view region,
                       std::string_view service) {
  std::string k = hmacSha256("AWS4" + std::string(secret), date8);
  k = hmacSha256(k, region);
  k = hmacSha256(k, service);
  return hmacSha256(k, "aws4_request");
}

std::string signature(std::string_view signingKeyBytes, std::string_view stringToSignText) {
  return toHex(hmacSha256(signingKeyBytes, stringToSignText));
}

std::string authorizationHeader(std::string_view accessKeyId, std::string_view scope,
                                std::string_view signedHeaders, std::string_view signatureHex) {
  std::string out(kAlgorithm);
  out.append(" Credential=").append(accessKeyId).append("/").append(scope);
  out.append(", SignedHeaders=").append(signedHeaders);
  out.append(", Signature=").append(signatureHex);
  return out;
}

namespace {

void setHeader(std::vector<HttpHeader>& headers, std::string_view name, std::string value) {
  std::string lower = toLower(name);
  std::erase_if(headers, [&](const HttpHeader& h) { return toLower(h.name) == lower; });
  headers.push_back(HttpHeader{std::string(name), std::move(value)});
}

}  // namespace

SignedParts signRequest(std::string_view method, std::string_view path, std::string_view query,
                        std::vector<HttpHeader>& headers, std::string_view body,
                        const Credentials& credentials, int64_t epochMillis,
                        const SignOptions& options) {
  // Date and scope come from one instant (spec 4, rules).
  std::string amzDate = formatAmzDate(epochMillis);
  std::string date8 = amzDate.substr(0, 8);
  setHeader(headers, "X-Amz-Date", amzDate);
  std::erase_if(headers, [](const HttpHeader& h) { return toLower(h.name) == "authorization"; });

  std::string payloadHash;
  if (options.s3) {
    auto it = std::find_if(headers.begin(), headers.end(), [](const HttpHeader& h) {
      return toLower(h.name) == "x-amz-content-sha256";
    });
    if (it != headers.end()) {
      payloadHash = it->value;
    } else {
      payloadHash = sha256Hex(body);
      headers.push_back(HttpHeader{"X-Amz-Content-SHA256", payloadHash});
    }
  } else {
    payloadHash = sha256Hex(body);
  }

  bool hasToken = !credentials.sessionToken.empty();
  if (hasToken && options.signSessionToken) {
    setHeader(headers, "X-Amz-Security-Token", credentials.sessionToken);
  }

  CanonicalRequestInput in{std::string(method), std::string(path), std::string(query), headers,
                           payloadHash,         options.s3};
  CanonicalRequest creq = canonicalRequest(in);
  std::string scope = credentialScope(date8, options.region, options.service);
  SignedParts parts;
  parts.canonicalRequest = creq.text;
  parts.stringToSign = stringToSign(amzDate, scope, creq.text);
  parts.signature =
      signature(signingKey(credentials.secretAccessKey, date8, options.region, options.service),
                parts.stringToSign);
  parts.authorization =
      authorizationHeader(credentials.accessKeyId, scope, creq.signedHeaders, parts.signature);
  if (hasToken && !options.signSessionToken) {
    setHeader(headers, "X-Amz-Security-Token", credentials.sessionToken);
  }
  headers.push_back(HttpHeader{"Authorization", parts.authorization});
  return parts;
}

}  // namespace azx::aws::sigv4
