#include "engine/log_file.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "tests/support/test_paths.h"

namespace azx::engine {
namespace {

class FixedClock final : public Clock {
 public:
  int64_t millis = 1'700'000'000'000;
  int64_t nowMillis() const override { return millis; }
};

TEST(LogFileTest, LinesGatheredUntilTheLoopWaits) {
  auto dir = testing::freshTempDir("log-file");
  EventLoop loop;
  FixedClock clock;
  LogFile log(dir / "job.log", "1.job", clock, LogLayout("%p %m%n"), LogFile::kDefaultMaxBytes,
              LogFile::kDefaultBackups, &loop);
  bool checked = false;
  loop.post([&] {
    log.info("one");
    log.error("two");
    EXPECT_EQ(testing::readWholeFile(dir / "job.log"), "") << "written before the loop waited";
    // The loop waits again only after this task: by the next one the lines are out.
    loop.addTimer(std::chrono::milliseconds(0), [&] {
      EXPECT_EQ(testing::readWholeFile(dir / "job.log"), "INFO one\nERROR two\n");
      checked = true;
    });
  });
  loop.runUntil([&] { return checked; });
  EXPECT_TRUE(checked);
  log.warn("three");
  log.close();  // close writes what is gathered
  EXPECT_EQ(testing::readWholeFile(dir / "job.log"), "INFO one\nERROR two\nWARN three\n");
}

TEST(LogFileTest, GatheredLinesRollIntoTheRightPieces) {
  auto dir = testing::freshTempDir("log-file");
  EventLoop loop;
  FixedClock clock;
  // 10-byte lines, pieces of at most 25 bytes, two backups.
  LogFile log(dir / "job.log", "1.job", clock, LogLayout("%m%n"), 25, 2, &loop);
  std::string all;
  for (int i = 0; i < 7; ++i) {
    std::string line = "line-" + std::to_string(i) + "abc";
    log.info(line);
    all += line + "\n";
  }
  log.close();
  auto pieces = log.pieces();
  ASSERT_EQ(pieces.size(), 3u);
  EXPECT_EQ(pieces[0].filename(), "job.log.2");
  EXPECT_EQ(pieces[2].filename(), "job.log");
  EXPECT_EQ(testing::readWholeFile(pieces[0]), "line-2abc\nline-3abc\n");
  EXPECT_EQ(testing::readWholeFile(pieces[1]), "line-4abc\nline-5abc\n");
  EXPECT_EQ(testing::readWholeFile(pieces[2]), "line-6abc\n");
}

TEST(LogFileTest, PiecesOfAnOlderLogAreFound) {
  auto dir = testing::freshTempDir("log-file");
  std::ofstream(dir / "job.log") << "old\n";
  std::ofstream(dir / "job.log.1") << "older\n";
  FixedClock clock;
  LogFile log(dir / "job.log", "1.job", clock);
  auto pieces = log.pieces();
  ASSERT_EQ(pieces.size(), 2u);
  EXPECT_EQ(pieces[0].filename(), "job.log.1");
}

TEST(LogFileTest, DateTextFollowsTheClock) {
  // The date text of a second is reused: the next second, and a pattern with milliseconds,
  // must still show the clock's time.
  auto dir = testing::freshTempDir("log-file");
  FixedClock clock;
  setenv("TZ", "UTC", 1);
  tzset();
  LogFile seconds(dir / "a.log", "1.a", clock, LogLayout("%d{HH:mm:ss} %m%n"));
  LogFile millis(dir / "b.log", "1.b", clock, LogLayout("%d{HH:mm:ss,SSS} %m%n"));
  seconds.info("x");
  millis.info("x");
  clock.millis += 250;
  seconds.info("y");
  millis.info("y");
  clock.millis += 1000;
  seconds.info("z");
  millis.info("z");
  seconds.close();
  millis.close();
  EXPECT_EQ(testing::readWholeFile(dir / "a.log"), "22:13:20 x\n22:13:20 y\n22:13:21 z\n");
  EXPECT_EQ(testing::readWholeFile(dir / "b.log"),
            "22:13:20,000 x\n22:13:20,250 y\n22:13:21,250 z\n");
}

}  // namespace
}  // namespace azx::engine
