// The thread choice (runtime/thread_choice.h): all threads first, then both
// options timed, then the faster one, re-timing the other now and then and at
// once when it wins, so the choice follows a host whose speed changes.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "runtime/thread_choice.h"

namespace convopt::runtime {
namespace {

// Runs `runs` runs where one thread takes `one` seconds and all take `all`;
// returns the choices made, '1' for one thread and 'A' for all.
std::string simulate(convopt_thread_choice& choice, int runs, double one, double all) {
  std::string made;
  for (int i = 0; i < runs; ++i) {
    int useAll = convopt_thread_choice_next(&choice);
    convopt_thread_choice_record(&choice, useAll, useAll ? all : one);
    made += useAll ? 'A' : '1';
  }
  return made;
}

convopt_thread_choice fresh() {
  convopt_thread_choice choice;
  convopt_thread_choice_init(&choice);
  return choice;
}

TEST(ThreadChoice, WarmsUpOnAllThreadsThenTimesBothAlternately) {
  convopt_thread_choice choice = fresh();
  EXPECT_EQ(simulate(choice, 8, 1.0, 1.0), "AAA1A1A1");
}

TEST(ThreadChoice, RunsOnOneThreadWhileThatIsFaster) {
  convopt_thread_choice choice = fresh();
  simulate(choice, 8, 1.0, 1.5);
  EXPECT_FALSE(choice.use_all);
  // All threads are 1.5x slower: re-timed one run in CONVOPT_THREAD_CHOICE_FAR_EVERY.
  std::string made = simulate(choice, 2 * CONVOPT_THREAD_CHOICE_FAR_EVERY, 1.0, 1.5);
  EXPECT_EQ(std::count(made.begin(), made.end(), 'A'), 2) << made;
}

TEST(ThreadChoice, KeepsAllThreadsWhenTheyAreFaster) {
  convopt_thread_choice choice = fresh();
  simulate(choice, 8, 1.0, 0.6);
  EXPECT_TRUE(choice.use_all);
  std::string made = simulate(choice, 2 * CONVOPT_THREAD_CHOICE_FAR_EVERY, 1.0, 0.6);
  EXPECT_EQ(std::count(made.begin(), made.end(), '1'), 2) << made;
}

TEST(ThreadChoice, ReTimesTheOtherOptionMoreOftenWhenTheyAreClose) {
  convopt_thread_choice choice = fresh();
  simulate(choice, 8, 1.0, 0.9);
  std::string made = simulate(choice, 4 * CONVOPT_THREAD_CHOICE_EXPLORE_EVERY, 1.0, 0.9);
  EXPECT_EQ(std::count(made.begin(), made.end(), '1'), 4) << made;
}

TEST(ThreadChoice, FollowsTheHostWhenAllThreadsBecomeFaster) {
  convopt_thread_choice choice = fresh();
  simulate(choice, 100, 1.0, 1.5);
  ASSERT_FALSE(choice.use_all);
  // The first re-timed run that wins is re-timed again at once, until the median flips.
  std::string made = simulate(choice, CONVOPT_THREAD_CHOICE_FAR_EVERY + CONVOPT_THREAD_CHOICE_WINDOW, 1.0, 0.5);
  EXPECT_TRUE(choice.use_all) << made;
  EXPECT_NE(made.find("AAAA"), std::string::npos) << made;
}

TEST(ThreadChoice, FollowsTheHostWhenAllThreadsBecomeSlower) {
  convopt_thread_choice choice = fresh();
  simulate(choice, 100, 1.0, 0.5);
  ASSERT_TRUE(choice.use_all);
  // The current option's own runs show it: no re-timing needed.
  std::string made = simulate(choice, CONVOPT_THREAD_CHOICE_WINDOW, 1.0, 2.0);
  EXPECT_FALSE(choice.use_all) << made;
}

TEST(ThreadChoice, AnOutlierDoesNotFlipTheChoice) {
  convopt_thread_choice choice = fresh();
  simulate(choice, 100, 1.0, 0.5);
  int useAll = convopt_thread_choice_next(&choice);
  ASSERT_TRUE(useAll);
  convopt_thread_choice_record(&choice, useAll, 50.0);  // the process was descheduled
  EXPECT_TRUE(choice.use_all);
}

}  // namespace
}  // namespace convopt::runtime
