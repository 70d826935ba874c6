/* Whether a run's extra threads pay, decided by timing runs. Where the cores
 * are far apart (measured on a 2-vCPU cloud VM: a cache line takes ~250 ns
 * one way while the host places the vCPUs on different core complexes, ~80 ns
 * while it places them together, and the placement changes by itself within
 * seconds), two threads run a small model up to 1.5x slower than one, because
 * every kernel reads what the other core wrote. No layer-shape rule predicts
 * that, so the engine measures: it keeps the last run times with one thread
 * and with all, runs the faster, and re-times the other now and then (again
 * at once when that run beat the current choice), so it follows the host when
 * the placement changes. The first runs use all threads, so a process that
 * runs once is not delayed by the choice.
 *
 * In C, so that the JIT engine (codegen/engine/jit_engine.cpp) and every
 * ahead-of-time artifact (codegen/aot/runtime/aot_runtime.c) decide alike.
 * Plain C99 and C++, no library calls. */
#ifndef CONVOPT_RUNTIME_THREAD_CHOICE_H
#define CONVOPT_RUNTIME_THREAD_CHOICE_H
#include <stdint.h>

#define CONVOPT_THREAD_CHOICE_WINDOW 7      /* run times kept per option (odd: a median) */
#define CONVOPT_THREAD_CHOICE_MIN_SAMPLES 3 /* per option before choosing */
#define CONVOPT_THREAD_CHOICE_WARMUP 2      /* first runs (page faults, cold caches): not timed */
/* One run in this many times the other option; one in FAR_EVERY while the other
 * is FAR_RATIO times slower or more, as re-timing it then costs more. */
#define CONVOPT_THREAD_CHOICE_EXPLORE_EVERY 16
#define CONVOPT_THREAD_CHOICE_FAR_EVERY 64
#define CONVOPT_THREAD_CHOICE_FAR_RATIO 1.25

struct convopt_thread_choice {
  double seconds[2][CONVOPT_THREAD_CHOICE_WINDOW]; /* [0] one thread, [1] all threads: a ring */
  int count[2];                                    /* run times held */
  int next[2];                                     /* ring position */
  int use_all;                                     /* the current choice */
  int confirm;   /* the last run of the other option beat the current: time it again next */
  uint64_t runs; /* runs recorded */
};

static inline void convopt_thread_choice_init(struct convopt_thread_choice* c) {
  for (int option = 0; option < 2; ++option) {
    for (int i = 0; i < CONVOPT_THREAD_CHOICE_WINDOW; ++i) c->seconds[option][i] = 0.0;
    c->count[option] = c->next[option] = 0;
  }
  c->use_all = 1;
  c->confirm = 0;
  c->runs = 0;
}

static inline int convopt_thread_choice_ready(const struct convopt_thread_choice* c) {
  return c->count[0] >= CONVOPT_THREAD_CHOICE_MIN_SAMPLES && c->count[1] >= CONVOPT_THREAD_CHOICE_MIN_SAMPLES;
}

static inline double convopt_thread_choice_median(const struct convopt_thread_choice* c, int option) {
  double sorted[CONVOPT_THREAD_CHOICE_WINDOW];
  int n = c->count[option];
  for (int i = 0; i < n; ++i) { /* insertion sort of at most a window */
    double x = c->seconds[option][i];
    int j = i;
    for (; j > 0 && sorted[j - 1] > x; --j) sorted[j] = sorted[j - 1];
    sorted[j] = x;
  }
  return sorted[n / 2];
}

/* 1: the next run uses all threads; 0: one. */
static inline int convopt_thread_choice_next(const struct convopt_thread_choice* c) {
  if (c->runs < CONVOPT_THREAD_CHOICE_WARMUP) return 1;
  if (!convopt_thread_choice_ready(c)) return c->count[1] <= c->count[0]; /* fill both, alternating */
  if (c->confirm) return !c->use_all;
  double ratio = convopt_thread_choice_median(c, !c->use_all) / convopt_thread_choice_median(c, c->use_all);
  uint64_t every =
      ratio >= CONVOPT_THREAD_CHOICE_FAR_RATIO ? CONVOPT_THREAD_CHOICE_FAR_EVERY : CONVOPT_THREAD_CHOICE_EXPLORE_EVERY;
  return c->runs % every == 0 ? !c->use_all : c->use_all;
}

/* After a run: `all` as convopt_thread_choice_next said, `seconds` its wall time. */
static inline void convopt_thread_choice_record(struct convopt_thread_choice* c, int all, double seconds) {
  if (c->runs++ < CONVOPT_THREAD_CHOICE_WARMUP) return;
  int ready = convopt_thread_choice_ready(c);
  int beat_current = ready && all != c->use_all && seconds < convopt_thread_choice_median(c, c->use_all);
  c->seconds[all][c->next[all]] = seconds;
  c->next[all] = (c->next[all] + 1) % CONVOPT_THREAD_CHOICE_WINDOW;
  if (c->count[all] < CONVOPT_THREAD_CHOICE_WINDOW) ++c->count[all];
  if (!convopt_thread_choice_ready(c)) return;
  int use_all = !(convopt_thread_choice_median(c, 0) < convopt_thread_choice_median(c, 1));
  c->confirm = beat_current && use_all == c->use_all;
  c->use_all = use_all;
}

#endif
