#define CPPHTTPLIB_OPENSSL_SUPPORT
#include "api/http_server.h"

#include <httplib.h>

#include "api/executor_api.h"

namespace azx::api {
namespace {

constexpr size_t kMaxFormBody = 10 * 1024 * 1024;

Params collectParams(const httplib::Request& request) {
  Params params;
  for (const auto& [k, v] : request.params) params.emplace(k, v);
  // A form body that httplib did not parse (e.g. missing content type) is parsed here.
  if (request.method == "POST" && !request.body.empty() &&
      request.get_header_value("Content-Type").find("multipart") == std::string::npos) {
    httplib::Params body;
    httplib::detail::parse_query_text(request.body, body);
    for (const auto& [k, v] : body) {
      if (params.find(k) == params.end()) params.emplace(k, v);
    }
  }
  return params;
}

void sendJson(httplib::Response& response, const nlohmann::json& body) {
  response.status = 200;
  // ensure_ascii: correct whatever charset a client assumes (azkaban-wire 1.1).
  response.set_content(body.dump(-1, ' ', true, nlohmann::json::error_handler_t::replace),
                       "application/json; charset=utf-8");
}

}  // namespace

HttpServer::HttpServer(HttpServerOptions options, ExecutorBackend& backend)
    : options_(std::move(options)), backend_(backend) {}

HttpServer::~HttpServer() { stop(); }

Result<int> HttpServer::start() {
  if (options_.tlsCert && options_.tlsKey) {
    auto tls =
        std::make_unique<httplib::SSLServer>(options_.tlsCert->c_str(), options_.tlsKey->c_str());
    if (!tls->is_valid()) {
      return Error{"cannot load the TLS certificate '" + options_.tlsCert->string() + "' or key '" +
                   options_.tlsKey->string() + "'"};
    }
    server_ = std::move(tls);
  } else {
    server_ = std::make_unique<httplib::Server>();
  }
  int threads = options_.threads;
  server_->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server_->set_payload_max_length(kMaxFormBody);

  auto route = [this](const std::string& path, auto handler) {
    auto wrapped = [handler](const httplib::Request& req, httplib::Response& res) {
      handler(req, res);
    };
    server_->Get(path, wrapped);
    server_->Post(path, wrapped);
  };
  route("/executor", [this](const httplib::Request& req, httplib::Response& res) {
    sendJson(res, handleExecutorRequest(collectParams(req), backend_));
  });
  route("/serverStatistics", [this](const httplib::Request& req, httplib::Response& res) {
    sendJson(res, handleServerStatistics(collectParams(req), backend_));
  });
  route("/stats", [](const httplib::Request& req, httplib::Response& res) {
    sendJson(res, handleStats(collectParams(req)));
  });
  route("/jmx", [this](const httplib::Request& req, httplib::Response& res) {
    sendJson(res, handleJmx(collectParams(req), backend_));
  });
  route("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(backend_.prometheusMetrics(), "text/plain; version=0.0.4");
  });
  route("/healthz", [this](const httplib::Request&, httplib::Response& res) {
    std::string why;
    bool ok = backend_.healthy(&why);
    res.status = ok ? 200 : 503;
    res.set_content(ok ? "ok\n" : why + "\n", "text/plain");
  });

  if (options_.port > 0) {
    if (!server_->bind_to_port(options_.bindAddress.c_str(), options_.port)) {
      return Error{"cannot listen on " + options_.bindAddress + ":" +
                   std::to_string(options_.port)};
    }
    port_ = options_.port;
  } else {
    port_ = server_->bind_to_any_port(options_.bindAddress.c_str());
    if (port_ <= 0) return Error{"cannot listen on " + options_.bindAddress};
  }
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  return port_;
}

void HttpServer::stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace azx::api
