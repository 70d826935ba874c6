/* Which CPU each worker of a thread pool runs on. A Linux guest may pack
 * runnable threads onto fewer vCPUs than it has (a Firecracker VM whose kernel
 * runs with sched_vcpu_pack): a worker woken by the caller is then queued on
 * the caller's vCPU, behind the caller spinning on its own share, while the
 * other vCPU idles, and a 2-thread run takes as long as a 1-thread one, for
 * seconds at a time. So each worker is pinned to a CPU of its own, never the
 * caller's. The caller is the application's thread and stays as it is; where a
 * run finds it on a worker's CPU, that worker moves to the CPU the caller left
 * (or another free one), so the pool keeps one thread per CPU.
 *
 * Each worker takes the allowed CPU with the fewest workers of the process's
 * other pools pinned to it (`load`, kept by the caller: two engines' workers
 * spread; per artifact in the ahead-of-time runtime, which cannot see the
 * others), the lowest of equals. Off (the kernel places the workers) when the
 * calling thread may use fewer CPUs than the pool has threads, when its CPU or
 * CPU set cannot be read (sched_getcpu fails, or the kernel has more than 1024
 * possible CPUs), or when the environment sets CONVOPT_PIN_THREADS=0.
 *
 * The decisions only, in C, shared by runtime/thread_pool.cpp and every
 * ahead-of-time artifact (codegen/aot/runtime/aot_runtime.c), which make the
 * system calls themselves. Plain C99 and C++, no library calls. */
#ifndef CONVOPT_RUNTIME_THREAD_PLACEMENT_H
#define CONVOPT_RUNTIME_THREAD_PLACEMENT_H
#include <stdint.h>

#define CONVOPT_PLACEMENT_MAX_CPUS 1024 /* the size of glibc's cpu_set_t */
#define CONVOPT_PLACEMENT_MASK_WORDS (CONVOPT_PLACEMENT_MAX_CPUS / 64)

/* A CPU set as sched_getaffinity fills it: bit c of word c / 64. */
static inline int convopt_placement_has(const uint64_t* mask, int cpu) {
  return cpu >= 0 && cpu < CONVOPT_PLACEMENT_MAX_CPUS && (mask[cpu / 64] >> (cpu % 64)) & 1;
}

static inline int convopt_placement_taken(int cpu, int caller_cpu, const int* cpu_of, int workers) {
  int taken = cpu == caller_cpu;
  for (int w = 0; w < workers && !taken; ++w) taken = cpu_of[w] == cpu;
  return taken;
}

/* The allowed CPU with the lowest `load` (per CPU; null: none) that is neither
 * the caller's nor one of the first `workers` entries of cpu_of; -1 if none. */
static inline int convopt_placement_free_cpu(const uint64_t* allowed, const int* load, int caller_cpu,
                                             const int* cpu_of, int workers) {
  int best = -1;
  for (int cpu = 0; cpu < CONVOPT_PLACEMENT_MAX_CPUS; ++cpu)
    if (convopt_placement_has(allowed, cpu) && !convopt_placement_taken(cpu, caller_cpu, cpu_of, workers) &&
        (best < 0 || (load && load[cpu] < load[best])))
      best = cpu;
  return best;
}

/* The workers' CPUs (cpu_of[0..workers)), one each, none the caller's. Returns
 * 0 (and places nobody) when `allowed` has too few CPUs or the caller's CPU is unknown. */
static inline int convopt_placement_choose(const uint64_t* allowed, const int* load, int caller_cpu, int* cpu_of,
                                           int workers) {
  if (caller_cpu < 0) return 0;
  for (int w = 0; w < workers; ++w)
    if ((cpu_of[w] = convopt_placement_free_cpu(allowed, load, caller_cpu, cpu_of, w)) < 0) return 0;
  return 1;
}

/* The caller is now on `caller_cpu`, last seen on *last_cpu. Returns the
 * worker to move, its new CPU (the one the caller left, else a free one)
 * already in cpu_of, or -1 when no worker is on the caller's CPU or none is free. */
static inline int convopt_placement_follow(const uint64_t* allowed, const int* load, int* last_cpu, int caller_cpu,
                                           int* cpu_of, int workers) {
  int left = *last_cpu;
  if (caller_cpu < 0 || caller_cpu == left) return -1;
  *last_cpu = caller_cpu;
  for (int w = 0; w < workers; ++w) {
    if (cpu_of[w] != caller_cpu) continue;
    int to = convopt_placement_has(allowed, left) && !convopt_placement_taken(left, caller_cpu, cpu_of, workers)
                 ? left
                 : convopt_placement_free_cpu(allowed, load, caller_cpu, cpu_of, workers);
    if (to < 0) return -1;
    cpu_of[w] = to;
    return w;
  }
  return -1;
}

#endif
