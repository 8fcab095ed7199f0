#include "cli/local_run.h"

#include <pwd.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/progress_printer.h"
#include "core/clock.h"
#include "core/event_loop.h"
#include "engine/engine.h"
#include "engine/store_recorder.h"
#include "flow/project_archive.h"
#include "jobtypes/command/command_job.h"
#include "jobtypes/noop/noop_job.h"
#include "store/sqlite/sqlite_store.h"

namespace azx::cli {
namespace {

struct LoadedProject {
  std::filesystem::path dir;
  std::shared_ptr<flow::Project> project;
};

std::string currentUser() {
  if (struct passwd* pw = getpwuid(geteuid())) return pw->pw_name;
  const char* user = std::getenv("USER");
  return user ? user : "azkaban";
}

jobtypes::JobTypeRegistry buildRegistry(const LocalJobTypes& types) {
  jobtypes::JobTypeRegistry registry;
  (void)registry.add(std::make_shared<jobtypes::CommandJobFactory>());
  (void)registry.add(std::make_shared<jobtypes::NoopJobFactory>());
  if (types.registerMore) types.registerMore(registry);
  return registry;
}

std::vector<std::string> knownTypeNames(const jobtypes::JobTypeRegistry& registry,
                                        const LocalJobTypes& types) {
  auto names = registry.names();
  names.insert(names.end(), types.delegated.begin(), types.delegated.end());
  return names;
}

// Unpacks a zip under the data directory; a directory is used in place.
Result<LoadedProject> openProject(const std::string& path, const std::filesystem::path& dataDir,
                                  const std::vector<std::string>& knownTypes) {
  std::filesystem::path source(path);
  std::error_code ec;
  if (!std::filesystem::exists(source, ec)) return Error{"project '" + path + "' does not exist"};
  LoadedProject loaded;
  if (std::filesystem::is_directory(source, ec)) {
    loaded.dir = source;
  } else {
    auto target = dataDir / "projects" /
                  (source.stem().string() + "-" + std::to_string(SystemClock().nowMillis()));
    auto extracted = flow::extractProjectZip(source, target);
    if (!extracted) {
      std::filesystem::remove_all(target, ec);
      return extracted.error().withContext(path);
    }
    loaded.dir = target;
  }
  flow::LoadOptions options;
  options.knownJobTypes = knownTypes;
  options.knownJobTypes.push_back("flow");
  loaded.project = std::make_shared<flow::Project>(flow::loadProject(loaded.dir, options));
  return loaded;
}

// Azkaban's loader messages name the node but not always its file: add the file when the
// message does not already say it.
std::string withFile(const flow::Project& project, const std::string& message) {
  if (message.find(".job") != std::string::npos || message.find(".flow") != std::string::npos ||
      message.find(".project") != std::string::npos) {
    return message;
  }
  std::map<std::string, std::string> fileOf;
  for (const auto& [name, job] : project.jobs) fileOf[name] = job.jobSource;
  for (const auto& [id, def] : project.flows) {
    for (const auto& node : def.nodes) {
      auto [it, inserted] = fileOf.emplace(node.name, node.jobSource);
      if (!inserted && it->second != node.jobSource) it->second.clear();  // ambiguous: no guess
    }
  }
  std::string token;
  for (size_t i = 0; i <= message.size(); ++i) {
    char c = i < message.size() ? message[i] : ' ';
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.') {
      token.push_back(c);
      continue;
    }
    // The first node named is the subject of the message.
    if (auto it = fileOf.find(token); it != fileOf.end()) {
      return it->second.empty() ? message : it->second + ": " + message;
    }
    token.clear();
  }
  return message;
}

void printErrors(const flow::Project& project) {
  for (const auto& error : project.errors)
    std::cerr << "error: " << withFile(project, error) << "\n";
}

std::vector<flow::DisabledJob> parseDisabled(const std::vector<std::string>& names) {
  std::vector<flow::DisabledJob> result;
  for (const auto& name : names) {
    std::vector<std::string> parts;
    size_t start = 0;
    for (size_t colon; (colon = name.find(':', start)) != std::string::npos; start = colon + 1) {
      parts.push_back(name.substr(start, colon - start));
    }
    parts.push_back(name.substr(start));
    std::vector<flow::DisabledJob>* level = &result;
    for (size_t i = 0; i < parts.size(); ++i) {
      if (i + 1 == parts.size()) {
        level->push_back(flow::DisabledJob{parts[i], {}});
        break;
      }
      auto it = std::find_if(level->begin(), level->end(), [&](const auto& d) {
        return d.id == parts[i] && !d.children.empty();
      });
      if (it == level->end()) {
        level->push_back(flow::DisabledJob{parts[i], {}});
        it = std::prev(level->end());
      }
      level = &it->children;
    }
  }
  return result;
}

void copyProject(const std::filesystem::path& from, const std::filesystem::path& to) {
  std::error_code ec;
  std::filesystem::create_directories(to, ec);
  // Hard links where possible (as Azkaban links its project cache), copies otherwise.
  std::filesystem::copy(
      from, to,
      std::filesystem::copy_options::recursive | std::filesystem::copy_options::create_hard_links,
      ec);
  if (ec) {
    ec.clear();
    std::filesystem::copy(from, to,
                          std::filesystem::copy_options::recursive |
                              std::filesystem::copy_options::overwrite_existing,
                          ec);
  }
}

void collectNodes(const flow::ExecutableNode& flowNode, nlohmann::json& out) {
  for (const auto& child : flowNode.nodes) {
    out[child->nestedId()] = {{"status", std::string(toString(child->status))},
                              {"attempts", child->attempt + 1}};
    if (child->isFlow()) collectNodes(*child, out);
  }
}

bool usesDelegatedType(const flow::Project& project, const std::vector<std::string>& delegated) {
  auto isDelegated = [&](const flow::NodeDef& node) {
    return std::find(delegated.begin(), delegated.end(), node.type) != delegated.end();
  };
  for (const auto& [name, job] : project.jobs) {
    if (isDelegated(job)) return true;
  }
  for (const auto& [id, def] : project.flows) {
    for (const auto& node : def.nodes) {
      if (isDelegated(node)) return true;
    }
  }
  return false;
}

}  // namespace

int validateProject(const ValidateOptions& options, const LocalJobTypes& types) {
  auto registry = buildRegistry(types);
  auto dataDir =
      std::filesystem::temp_directory_path() / ("azx-validate-" + std::to_string(getpid()));
  auto loaded = openProject(options.project, dataDir, knownTypeNames(registry, types));
  std::error_code ec;
  if (!loaded) {
    std::cerr << "error: " << loaded.error().message << "\n";
    std::filesystem::remove_all(dataDir, ec);
    return 2;
  }
  const flow::Project& project = *loaded->project;
  int code = 0;
  if (!project.errors.empty()) {
    printErrors(project);
    code = 2;
  } else {
    std::cout << "Project " << options.project << " (Flow "
              << (project.version == flow::FlowVersion::V2 ? "2.0" : "1.0") << ")\n";
    for (const auto& id : project.runnableFlowIds()) {
      const flow::FlowDef* def = project.findFlow(id);
      std::cout << "flow " << id << "\n";
      for (const auto& node : def->nodes) {
        std::cout << "  " << node.name << " [" << node.type << "]";
        if (!node.dependsOn.empty()) {
          std::cout << " <- ";
          for (size_t i = 0; i < node.dependsOn.size(); ++i) {
            std::cout << (i ? ", " : "") << node.dependsOn[i];
          }
        }
        std::cout << "\n";
      }
    }
  }
  std::filesystem::remove_all(dataDir, ec);
  return code;
}

int runLocal(const RunOptions& options, const LocalJobTypes& types) {
  const bool json = options.output == "json";
  std::ostream& human = json ? std::cerr : std::cout;
  auto fail = [](const std::string& message) {
    std::cerr << "error: " << message << "\n";
    return 2;
  };

  // Ctrl-C and SIGTERM kill the flow cleanly: jobs are killed and statuses recorded. Blocked
  // before any thread starts, so only the loop's signalfd sees them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto registry = buildRegistry(types);
  std::error_code ec;
  std::filesystem::create_directories(options.dataDir, ec);
  if (ec)
    return fail("cannot create data directory '" + options.dataDir.string() + "': " + ec.message());
  auto loaded = openProject(options.project, options.dataDir, knownTypeNames(registry, types));
  if (!loaded) return fail(loaded.error().message);
  const flow::Project& project = *loaded->project;
  if (!project.errors.empty()) {
    printErrors(project);
    return 2;
  }
  if (types.delegate && usesDelegatedType(project, types.delegated)) {
    // The whole run moves to where those job types live; it unpacks the project itself.
    if (loaded->dir != std::filesystem::path(options.project)) {
      std::filesystem::remove_all(loaded->dir, ec);
    }
    return types.delegate();
  }
  auto flows = project.runnableFlowIds();
  std::string flowId;
  if (options.flow) {
    flowId = *options.flow;
    if (!project.findFlow(flowId) || project.findFlow(flowId)->embedded) {
      return fail("project has no flow '" + flowId + "'");
    }
  } else if (flows.size() == 1) {
    flowId = flows.front();
  } else {
    std::string list;
    for (const auto& f : flows) list += (list.empty() ? "" : ", ") + f;
    return fail("project has " + std::to_string(flows.size()) + " flows; choose one with --flow (" +
                list + ")");
  }

  flow::ExecutionOptions execOptions;
  for (const auto& param : options.params) {
    auto eq = param.find('=');
    if (eq == std::string::npos || eq == 0) return fail("--param '" + param + "' is not KEY=VALUE");
    execOptions.flowParameters[param.substr(0, eq)] = param.substr(eq + 1);
  }
  if (options.failureAction == "finish-current") {
    execOptions.failureAction = FailureAction::FinishCurrentlyRunning;
  } else if (options.failureAction == "cancel-all") {
    execOptions.failureAction = FailureAction::CancelAll;
  } else if (options.failureAction == "finish-all") {
    execOptions.failureAction = FailureAction::FinishAllPossible;
  } else {
    return fail("--failure-action must be finish-current, cancel-all or finish-all");
  }
  execOptions.disabled = parseDisabled(options.disabled);

  auto built = flow::buildExecutableFlow(project, flowId, execOptions);
  if (!built) return fail(built.error().message);
  std::unique_ptr<flow::ExecutableFlow> flow = std::move(*built);
  SystemClock clock;
  flow->projectName = std::filesystem::absolute(loaded->dir).filename().string();
  flow->submitUser = currentUser();
  flow->lastModifiedUser = flow->submitUser;
  flow->submitTime = clock.nowMillis();
  flow->root.status = Status::Preparing;

  auto opened = store::SqliteStore::open(options.dataDir / "executor.db");
  if (!opened) return fail(opened.error().message);
  std::shared_ptr<store::SqliteStore> store = std::move(*opened);
  auto execId = store->createExecution(*flow, clock.nowMillis());
  if (!execId) return fail(execId.error().message);
  auto executionDir = options.dataDir / "executions" / std::to_string(*execId);
  copyProject(loaded->dir, executionDir);
  flow->executionPath = executionDir.string();

  std::filesystem::path pluginDir = options.pluginDir.value_or("plugins/jobtypes");
  auto plugins = jobtypes::JobTypePlugins::load(pluginDir, options.globalProps);
  if (!plugins) return fail(plugins.error().message);
  if (!plugins->dirExists()) {
    // Without a plugin directory Azkaban's command jobs would need the setuid helper; local
    // runs behave like the stock distribution's commonprivate.properties instead.
    auto stock =
        std::filesystem::temp_directory_path() / ("azx-stock-plugins-" + std::to_string(getpid()));
    std::filesystem::create_directories(stock, ec);
    FILE* f = fopen((stock / "commonprivate.properties").c_str(), "w");
    if (f) {
      fputs("execute.as.user=false\n", f);
      fclose(f);
    }
    plugins = jobtypes::JobTypePlugins::load(stock, options.globalProps);
    std::filesystem::remove_all(stock, ec);
    if (!plugins) return fail(plugins.error().message);
  }

  EventLoop loop;
  engine::FlowRunnerDeps deps;
  deps.loop = &loop;
  deps.clock = &clock;
  deps.registry = &registry;
  deps.plugins = &*plugins;
  deps.config.maxJobThreads = options.jobThreads;
  engine::Engine engine(deps);
  engine::StoreRecorder recorder(store, loop, clock);
  ProgressPrinter printer(human, clock);
  bool persisted = false;
  recorder.setOnPersisted([&](int) { persisted = true; });

  int sigFd = signalfd(-1, &signals, SFD_CLOEXEC | SFD_NONBLOCK);
  int id = *execId;
  loop.watchReadable(sigFd, [&] {
    signalfd_siginfo info{};
    while (read(sigFd, &info, sizeof(info)) == sizeof(info)) {
      human << "Received signal " << info.ssi_signo << ", killing the flow\n";
      if (auto* runner = engine.find(id)) runner->kill(currentUser());
    }
  });

  human << "Running flow '" << flowId << "' of " << options.project << " as execution " << id
        << "\n";
  std::unique_ptr<flow::ExecutableFlow> finalState;
  engine::Engine::Submission submission;
  submission.flow = std::move(flow);
  submission.propsSource =
      std::make_shared<engine::ExecutionDirPropsSource>(executionDir, loaded->project);
  submission.executionDir = executionDir;
  submission.listeners = {&recorder, &printer};
  submission.onFinished = [&](const engine::FlowRunner& done) {
    finalState = engine::snapshotFlow(done.flow());
  };
  auto submitted = engine.submit(std::move(submission));
  if (!submitted) return fail(submitted.error().message);
  loop.runUntil([&] { return persisted && finalState != nullptr; });
  recorder.drain();
  close(sigFd);
  pthread_sigmask(SIG_UNBLOCK, &signals, nullptr);

  printer.printSummary(*finalState);
  if (json) {
    nlohmann::json nodes = nlohmann::json::object();
    collectNodes(finalState->root, nodes);
    nlohmann::json doc = {{"flow", flowId},
                          {"status", std::string(toString(finalState->root.status))},
                          {"nodes", nodes}};
    std::cout << doc.dump() << std::endl;
  }
  return finalState->root.status == Status::Succeeded ? 0 : 1;
}

}  // namespace azx::cli
