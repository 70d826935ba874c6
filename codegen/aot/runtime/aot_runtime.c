/* The runtime inside every ahead-of-time artifact: the C API of NAME.h
 * (functions named convopt_api_X here; `convopt compile` renames them NAME_X
 * and hides everything else), the weights loader, the CPU check, the layout
 * reorders and the thread pool. It interprets the program table the compiler
 * generates (artifact_format.h) exactly as JitEngine runs its Program.
 *
 * Compiled to LLVM bitcode per target architecture when convopt is built and
 * linked into each artifact. It includes no libc header, so it builds for any
 * Linux target without that target's headers: the few libc and pthread
 * functions it calls are declared below (their ABI is the same on every 64-bit
 * Linux C library). Needs only libc and pthreads at run time. */
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "artifact_format.h"
#include "codegen/aot/fallback/convopt_fallback.h"
#include "runtime/blocked_reorder.h"
#include "runtime/thread_choice.h"
#include "runtime/thread_placement.h"

#define API __attribute__((visibility("default")))

typedef struct FILE FILE;
FILE* fopen(const char* path, const char* mode);
size_t fread(void* data, size_t size, size_t count, FILE* file);
int fclose(FILE* file);
int posix_memalign(void** out, size_t alignment, size_t bytes);
void free(void* data);
void* memcpy(void* to, const void* from, size_t bytes);
void* memset(void* to, int value, size_t bytes);
int memcmp(const void* a, const void* b, size_t bytes);
typedef unsigned long pthread_t;
int pthread_create(pthread_t* thread, const void* attributes, void* (*start)(void*), void* argument);
int pthread_join(pthread_t thread, void** result);
int pthread_setaffinity_np(pthread_t thread, size_t bytes, const void* cpu_set);
int sched_getaffinity(int pid, size_t bytes, void* cpu_set);
int sched_getcpu(void);
char* getenv(const char* name);
int strcmp(const char* a, const char* b);
long sysconf(int name);
long syscall(long number, ...);
int sched_yield(void);
struct timespec_ {
  long seconds, nanoseconds;
};
int clock_gettime(int clock, struct timespec_* time);
#define SC_NPROCESSORS_ONLN 84 /* glibc and musl */
#define CLOCK_MONOTONIC 1

#if defined(__x86_64__)
#define SYS_FUTEX 202
static inline void cpu_relax(void) { __builtin_ia32_pause(); }
#elif defined(__aarch64__)
#define SYS_FUTEX 98
static inline void cpu_relax(void) { __asm__ volatile("yield"); }
#else
#error "the ahead-of-time runtime supports x86-64 and aarch64"
#endif
#define FUTEX_WAIT_PRIVATE 128
#define FUTEX_WAKE_PRIVATE 129

/* ---- What the compiler generates beside the kernels ---- */
typedef void (*convopt_kernel)(float* const* buffers, int64_t begin, int64_t end);
extern const int64_t convopt_program[];
extern const convopt_kernel convopt_kernels[];
extern const unsigned char convopt_embedded_weights[]; /* header + payload, or an empty header */
/* --allow-fallback: one-node models libconvopt_fallback runs, and its functions
 * (codegen/aot/fallback/convopt_fallback.h; all null when there are none). */
extern const unsigned char* const convopt_fallback_models[];
extern const int64_t convopt_fallback_model_bytes[];
struct fallback_functions {
  __typeof__(convopt_fallback_load)* load;
  __typeof__(convopt_fallback_run)* run;
  __typeof__(convopt_fallback_free)* free_node;
};
extern const struct fallback_functions convopt_fallback_functions;

/* ---- CPU features ---- */
#if defined(__x86_64__)
static void cpuid(uint32_t leaf, uint32_t subleaf, uint32_t r[4]) {
  __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(subleaf));
}

static int host_has(uint32_t leaf, uint32_t subleaf, int reg, int bit) {
  uint32_t r[4];
  cpuid(leaf & 0x80000000u, 0, r);
  if (r[0] < leaf) return 0;
  cpuid(leaf, subleaf, r);
  return (r[reg] >> bit) & 1;
}

/* The OS saves the vector registers a feature needs (XCR0). */
static int os_saves(int64_t mask) {
  uint32_t r[4];
  cpuid(1, 0, r);
  if (!((r[2] >> 27) & 1)) return !(mask & ~7); /* no XGETBV: SSE only */
  uint32_t low, high;
  __asm__ volatile("xgetbv" : "=a"(low), "=d"(high) : "c"(0));
  int64_t avx = (1 << 3) | (1 << 4) | (1 << 5) | (1 << 7), avx512 = 0x7f800;
  if ((mask & avx) && (low & 6) != 6) return 0;
  if ((mask & avx512) && (low & 0xe6) != 0xe6) return 0;
  return 1;
}

static int host_supports(int64_t mask) {
#define X(bit, name, leaf, subleaf, reg, pos) \
  if (((mask >> (bit)) & 1) && !host_has(leaf, subleaf, reg, pos)) return 0;
#include "codegen/engine/cpu_features.def"
#undef X
  return os_saves(mask);
}
#else
static int host_supports(int64_t mask) { return mask == 0; } /* NEON is part of AArch64 */
#endif

/* ---- Denormals as zero while kernels run (as runtime/denormals.h in the JIT) ---- */
#if defined(__x86_64__)
typedef uint32_t fp_mode;
static fp_mode flush_denormals(void) {
  fp_mode saved;
  __asm__ volatile("stmxcsr %0" : "=m"(saved));
  fp_mode flushed = saved | 0x8040; /* FTZ | DAZ */
  __asm__ volatile("ldmxcsr %0" : : "m"(flushed));
  return saved;
}
static void restore_fp_mode(fp_mode saved) { __asm__ volatile("ldmxcsr %0" : : "m"(saved)); }
#else
typedef uint64_t fp_mode;
static fp_mode flush_denormals(void) {
  fp_mode saved;
  __asm__ volatile("mrs %0, fpcr" : "=r"(saved));
  __asm__ volatile("msr fpcr, %0" : : "r"(saved | (1ull << 24))); /* FZ */
  return saved;
}
static void restore_fp_mode(fp_mode saved) { __asm__ volatile("msr fpcr, %0" : : "r"(saved)); }
#endif

/* ---- Thread pool (the design of runtime/thread_pool.h): thread i owns the i-th
 * share of every range and runs it in chunks from the front; a thread done with
 * its share takes chunks others have not started. Threads spin between kernels
 * and sleep on a futex after kSpinNanoseconds. A job ends when its units are
 * done: once every unit is taken the caller closes it to late workers (open)
 * and waits only for those inside it (active), not for a sleeping one. Each
 * worker is pinned to a CPU of its own, never the caller's (runtime/thread_placement.h). ---- */
typedef void (*pool_body)(void* context, int64_t begin, int64_t end);

struct share {
  _Alignas(64) _Atomic int64_t next;
  int64_t end;
};

struct pool {
  int threads;
  pthread_t* workers;
  struct share* shares;
  uint64_t allowed_cpus[CONVOPT_PLACEMENT_MASK_WORDS]; /* placement (the caller's only) */
  int* worker_cpus;                                    /* worker i's CPU at [i - 1]; null: not pinned */
  int caller_cpu;                                      /* where the caller was last seen */
  pool_body body;
  void* context;
  int64_t chunk;
  _Alignas(64) _Atomic uint64_t generation;
  _Atomic int stopping;
  _Alignas(64) _Atomic uint64_t open; /* the generation workers may still enter, 0: closed */
  _Atomic int active;                 /* workers inside a job */
  _Alignas(64) _Atomic uint32_t wake_word;
  _Atomic int sleepers;
  _Atomic int wake_sent; /* a wake went out since a sleeper last looked (cleared before each look) */
  _Atomic uint32_t done_word;
  _Atomic int caller_sleeping;
  int serial; /* this run uses the caller alone (runtime/thread_choice.h) */
};

enum { kChunksPerThread = 4 };
static const int64_t kSpinNanoseconds = 500000;

static int64_t now_ns(void) {
  struct timespec_ t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.seconds * 1000000000 + t.nanoseconds;
}

static void futex_wait(_Atomic uint32_t* word, uint32_t seen) {
  syscall(SYS_FUTEX, word, FUTEX_WAIT_PRIVATE, seen, (void*)0);
}
static void futex_wake(_Atomic uint32_t* word, int count) { syscall(SYS_FUTEX, word, FUTEX_WAKE_PRIVATE, count); }

static int job_published(struct pool* p, uint64_t seen) { return p->stopping || p->generation != seen; }
static int job_done(struct pool* p) { return p->active == 0; }

/* Spins until ready(p, arg) or the spin time passes; nonzero if ready. */
static int spin_until(int (*ready)(struct pool*, uint64_t), struct pool* p, uint64_t arg) {
  int64_t deadline = now_ns() + kSpinNanoseconds;
  for (;;) {
    for (int i = 0; i < 64; ++i) {
      if (ready(p, arg)) return 1;
      cpu_relax();
    }
    if (now_ns() > deadline) return ready(p, arg);
    sched_yield();
  }
}

static int done_ready(struct pool* p, uint64_t unused) {
  (void)unused;
  return job_done(p);
}

static void run_chunks(struct pool* p, int index) {
  for (int k = 0; k < p->threads; ++k) { /* its own share first, then the others' */
    struct share* s = &p->shares[(index + k) % p->threads];
    for (;;) {
      int64_t begin = atomic_fetch_add_explicit(&s->next, p->chunk, memory_order_relaxed);
      if (begin >= s->end) break;
      p->body(p->context, begin, begin + p->chunk < s->end ? begin + p->chunk : s->end);
    }
  }
}

struct worker_start {
  struct pool* pool;
  int index;
};

static void* worker_loop(void* argument) {
  struct worker_start* start = argument;
  struct pool* p = start->pool;
  int index = start->index;
  free(start);
  uint64_t seen = 0;
  for (;;) {
    if (!spin_until(job_published, p, seen)) {
      ++p->sleepers; /* announced before the re-check: no wake-up is lost */
      for (;;) {
        uint32_t word = p->wake_word;
        p->wake_sent = 0; /* after reading word: a wake sent from here on changes it */
        if (job_published(p, seen)) break;
        futex_wait(&p->wake_word, word);
      }
      --p->sleepers;
    }
    if (p->stopping) return 0;
    seen = atomic_load_explicit(&p->generation, memory_order_acquire);
    ++p->active;
    if (p->open == seen) run_chunks(p, index); /* else the caller has finished it */
    if (atomic_fetch_sub(&p->active, 1) == 1 && p->caller_sleeping) {
      ++p->done_word;
      futex_wake(&p->done_word, 1);
    }
  }
}

/* Workers of this artifact's pools pinned to each CPU (thread_placement.h: a
 * new pool's workers take the least used CPUs). */
static _Atomic int pinned_workers[CONVOPT_PLACEMENT_MAX_CPUS];

static void count_pinned(const int* cpus, int count, int delta) {
  for (int i = 0; i < count; ++i) pinned_workers[cpus[i]] += delta;
}

static void pinned_load(int* load) {
  for (int cpu = 0; cpu < CONVOPT_PLACEMENT_MAX_CPUS; ++cpu) load[cpu] = pinned_workers[cpu];
}

static void pool_destroy(struct pool* p) {
  p->stopping = 1;
  ++p->wake_word;
  futex_wake(&p->wake_word, 1 << 30);
  for (int i = 1; i < p->threads; ++i)
    if (p->workers[i]) pthread_join(p->workers[i], 0);
  free(p->workers);
  free(p->shares);
  if (p->worker_cpus) count_pinned(p->worker_cpus, p->threads - 1, -1);
  free(p->worker_cpus);
}

static void* aligned_alloc_(size_t bytes) {
  void* data = 0;
  return posix_memalign(&data, CONVOPT_ALIGNMENT, bytes ? bytes : 1) == 0 ? data : 0;
}

static int pin_worker(struct pool* p, int worker, int cpu) {
  uint64_t set[CONVOPT_PLACEMENT_MASK_WORDS] = {0};
  set[cpu / 64] = (uint64_t)1 << (cpu % 64);
  return pthread_setaffinity_np(p->workers[worker + 1], sizeof set, set) == 0;
}

/* Leaves placement to the kernel (a CPU refused: a cpuset changed under us). */
static void unpin_workers(struct pool* p) {
  for (int i = 1; i < p->threads; ++i) pthread_setaffinity_np(p->workers[i], sizeof p->allowed_cpus, p->allowed_cpus);
  if (p->worker_cpus) count_pinned(p->worker_cpus, p->threads - 1, -1);
  free(p->worker_cpus);
  p->worker_cpus = 0;
}

static void pin_workers(struct pool* p) {
  const char* setting = getenv("CONVOPT_PIN_THREADS");
  int workers = p->threads - 1, load[CONVOPT_PLACEMENT_MAX_CPUS];
  if (workers == 0 || (setting && strcmp(setting, "0") == 0) ||
      sched_getaffinity(0, sizeof p->allowed_cpus, p->allowed_cpus) != 0)
    return;
  int* cpus = aligned_alloc_(sizeof(int) * (size_t)workers);
  p->caller_cpu = sched_getcpu();
  pinned_load(load);
  if (!cpus || !convopt_placement_choose(p->allowed_cpus, load, p->caller_cpu, cpus, workers)) {
    free(cpus); /* nobody pinned */
    return;
  }
  for (int w = 0; w < workers; ++w)
    if (!pin_worker(p, w, cpus[w])) {
      free(cpus);
      unpin_workers(p); /* the ones pinned so far (none counted yet) */
      return;
    }
  p->worker_cpus = cpus;
  count_pinned(cpus, workers, 1);
}

/* At the start of a run on every thread (runtime/thread_pool.h: followCaller). */
static void follow_caller(struct pool* p) {
  if (!p->worker_cpus) return; /* no system call for a pool not pinned */
  int cpu = sched_getcpu(), load[CONVOPT_PLACEMENT_MAX_CPUS];
  if (cpu == p->caller_cpu) return;
  pinned_load(load);
  int moved = convopt_placement_follow(p->allowed_cpus, load, &p->caller_cpu, cpu, p->worker_cpus, p->threads - 1);
  if (moved < 0) return;
  if (!pin_worker(p, moved, p->worker_cpus[moved])) {
    p->worker_cpus[moved] = cpu; /* where it was, as counted */
    unpin_workers(p);
    return;
  }
  count_pinned(&cpu, 1, -1); /* it was on the caller's CPU */
  count_pinned(&p->worker_cpus[moved], 1, 1);
}

static int pool_create(struct pool* p, int threads) {
  memset(p, 0, sizeof *p);
  if (threads <= 0) threads = (int)sysconf(SC_NPROCESSORS_ONLN);
  if (threads <= 0) threads = 1;
  p->threads = threads;
  p->shares = aligned_alloc_(sizeof(struct share) * (size_t)threads);
  p->workers = aligned_alloc_(sizeof(pthread_t) * (size_t)threads);
  if (!p->shares || !p->workers) {
    free(p->shares), free(p->workers);
    return CONVOPT_OUT_OF_MEMORY;
  }
  memset(p->workers, 0, sizeof(pthread_t) * (size_t)threads);
  for (int i = 1; i < threads; ++i) {
    struct worker_start* start = aligned_alloc_(sizeof *start);
    if (start) start->pool = p, start->index = i;
    if (!start || pthread_create(&p->workers[i], 0, worker_loop, start) != 0) {
      free(start);
      p->threads = i; /* the workers started so far */
      pool_destroy(p);
      return CONVOPT_THREADS_FAILED;
    }
  }
  pin_workers(p);
  return CONVOPT_OK;
}

static void parallel_for(struct pool* p, int64_t units, pool_body body, void* context) {
  if (units <= 0) return;
  if (units == 1 || p->threads == 1 || p->serial) {
    body(context, 0, units);
    return;
  }
  p->body = body, p->context = context;
  int64_t chunk = units / (p->threads * kChunksPerThread);
  p->chunk = chunk > 1 ? chunk : 1;
  for (int i = 0; i < p->threads; ++i) {
    atomic_store_explicit(&p->shares[i].next, units * i / p->threads, memory_order_relaxed);
    p->shares[i].end = units * (i + 1) / p->threads;
  }
  uint64_t job = atomic_load_explicit(&p->generation, memory_order_relaxed) + 1;
  p->open = job;
  p->generation = job; /* publishes the job */
  if (p->sleepers > 0 && !atomic_exchange(&p->wake_sent, 1)) {
    ++p->wake_word;
    futex_wake(&p->wake_word, 1 << 30);
  }
  run_chunks(p, 0); /* returns when every unit is taken */
  p->open = 0;
  if (!spin_until(done_ready, p, 0)) {
    p->caller_sleeping = 1;
    for (;;) {
      uint32_t word = p->done_word;
      if (job_done(p)) break;
      futex_wait(&p->done_word, word);
    }
    p->caller_sleeping = 0;
  }
}

/* ---- Layout reorders: the JIT engine's loops (runtime/blocked_reorder.h) over the pool ---- */
struct reorder {
  const float* from;
  float* to;
  int64_t channels, pixels, v;
};

static void to_blocked(void* context, int64_t first, int64_t last) {
  const struct reorder* r = context;
  convopt_to_blocked(r->from, r->to, r->channels, r->pixels, r->v, first, last);
}

static void from_blocked(void* context, int64_t first, int64_t last) {
  const struct reorder* r = context;
  convopt_from_blocked(r->from, r->to, r->channels, r->pixels, r->v, first, last);
}

/* ---- Model and session ---- */
struct convopt_model {
  unsigned char* owned;              /* the loaded weights, or 0 when embedded */
  float** constants;                 /* per constant, into the payload */
  convopt_fallback_node** fallbacks; /* per fallback node, loaded by libconvopt_fallback */
};

struct convopt_session {
  const struct convopt_model* model;
  unsigned char* arena;
  int owns_arena;
  struct pool pool;
  float** buffers; /* a kernel's arguments */
  int status;      /* why the last step failed */
  struct convopt_thread_choice thread_choice;
  int fixed_threads; /* always every thread of the pool */
};

static const int64_t* program_section(int section) {
  const int64_t* p = convopt_program + CONVOPT_P_HEADER_WORDS;
  if (section > 0) p += 2 * convopt_program[CONVOPT_P_NUM_CONSTANTS];
  if (section > 1) p += 2 * convopt_program[CONVOPT_P_NUM_INPUTS];
  if (section > 2) p += 3 * convopt_program[CONVOPT_P_NUM_OUTPUTS];
  if (section > 3) p += convopt_program[CONVOPT_P_NUM_BODIES];
  return p;
}
#define CONSTANTS program_section(0)
#define INPUTS program_section(1)
#define OUTPUTS program_section(2)
#define BODIES program_section(3)
#define STEPS program_section(4)

/* Whether `h` is this compile's weights header, with `bytes` (header included) available. */
static int check_header(const struct convopt_weights_header* h, uint64_t bytes) {
  if (bytes < sizeof *h || memcmp(h->magic, CONVOPT_WEIGHTS_MAGIC, 8) != 0) return CONVOPT_WEIGHTS_CORRUPT;
  if (h->byte_order != CONVOPT_BYTE_ORDER_MARK || h->format != CONVOPT_FORMAT_VERSION ||
      h->code_hash != (uint64_t)convopt_program[CONVOPT_P_CODE_HASH] ||
      h->payload_bytes != (uint64_t)convopt_program[CONVOPT_P_PAYLOAD_BYTES])
    return CONVOPT_WEIGHTS_MISMATCH;
  return bytes - sizeof *h < h->payload_bytes ? CONVOPT_WEIGHTS_CORRUPT : CONVOPT_OK;
}

/* Checks a header + payload image and points the model's constants into it. */
static int adopt_weights(struct convopt_model* model, const unsigned char* image, uint64_t bytes) {
  const struct convopt_weights_header* h = (const void*)image;
  int status = check_header(h, bytes);
  if (status != CONVOPT_OK) return status;
  const unsigned char* payload = image + sizeof *h;
  if (convopt_hash_words((const uint64_t*)payload, h->payload_bytes / 8, CONVOPT_HASH_SEED) != h->payload_hash)
    return CONVOPT_WEIGHTS_CORRUPT;
  int64_t count = convopt_program[CONVOPT_P_NUM_CONSTANTS];
  model->constants = aligned_alloc_(sizeof(float*) * (size_t)(count ? count : 1));
  if (!model->constants) return CONVOPT_OUT_OF_MEMORY;
  for (int64_t i = 0; i < count; ++i) model->constants[i] = (float*)(payload + CONSTANTS[2 * i]);
  return CONVOPT_OK;
}

static int load_fallbacks(struct convopt_model* model) {
  int64_t count = convopt_program[CONVOPT_P_NUM_FALLBACKS];
  if (count == 0) return CONVOPT_OK;
  model->fallbacks = aligned_alloc_(sizeof(convopt_fallback_node*) * (size_t)count);
  if (!model->fallbacks) return CONVOPT_OUT_OF_MEMORY;
  memset(model->fallbacks, 0, sizeof(convopt_fallback_node*) * (size_t)count);
  for (int64_t i = 0; i < count; ++i)
    if (convopt_fallback_functions.load(CONVOPT_FALLBACK_ABI_VERSION, convopt_fallback_models[i],
                                        (size_t)convopt_fallback_model_bytes[i], &model->fallbacks[i]) != 0)
      return CONVOPT_FALLBACK_FAILED;
  return CONVOPT_OK;
}

API void convopt_api_model_free(struct convopt_model* model) {
  if (!model) return;
  for (int64_t i = 0; model->fallbacks && i < convopt_program[CONVOPT_P_NUM_FALLBACKS]; ++i)
    if (model->fallbacks[i]) convopt_fallback_functions.free_node(model->fallbacks[i]);
  free(model->fallbacks);
  free(model->owned);
  free(model->constants);
  free(model);
}

/* Takes ownership of `owned` (an aligned copy of the image, or 0 for the embedded one). */
static int make_model(unsigned char* owned, const unsigned char* image, uint64_t bytes, struct convopt_model** out) {
  if (!host_supports(convopt_program[CONVOPT_P_REQUIRED_FEATURES])) {
    free(owned);
    return CONVOPT_CPU_UNSUPPORTED;
  }
  struct convopt_model* model = aligned_alloc_(sizeof *model);
  if (!model) {
    free(owned);
    return CONVOPT_OUT_OF_MEMORY;
  }
  model->owned = owned, model->constants = 0, model->fallbacks = 0;
  int status = adopt_weights(model, image, bytes);
  if (status == CONVOPT_OK) status = load_fallbacks(model);
  if (status != CONVOPT_OK) {
    convopt_api_model_free(model);
    return status;
  }
  *out = model;
  return CONVOPT_OK;
}

API int convopt_api_model_from_memory(const void* data, size_t bytes, struct convopt_model** out) {
  if (!out || (!data && bytes)) return CONVOPT_BAD_ARGUMENT;
  *out = 0;
  unsigned char* copy = aligned_alloc_(bytes); /* constants must start on their alignment */
  if (!copy) return CONVOPT_OUT_OF_MEMORY;
  if (bytes) memcpy(copy, data, bytes);
  return make_model(copy, copy, bytes, out);
}

API int convopt_api_model_load(const char* weights_path, struct convopt_model** out) {
  if (!out) return CONVOPT_BAD_ARGUMENT;
  *out = 0;
  if (!weights_path) {
    const struct convopt_weights_header* h = (const void*)convopt_embedded_weights;
    if (h->payload_bytes == 0 && convopt_program[CONVOPT_P_PAYLOAD_BYTES] != 0) return CONVOPT_NO_EMBEDDED_WEIGHTS;
    return make_model(0, convopt_embedded_weights, sizeof *h + h->payload_bytes, out);
  }
  FILE* file = fopen(weights_path, "rb");
  if (!file) return CONVOPT_WEIGHTS_UNREADABLE;
  struct convopt_weights_header header;
  size_t got = fread(&header, 1, sizeof header, file);
  int status = check_header(&header, got < sizeof header ? got : (uint64_t)-1); /* payload size checked below */
  uint64_t bytes = sizeof header + header.payload_bytes;
  unsigned char* image = status == CONVOPT_OK ? aligned_alloc_(bytes) : 0;
  if (status == CONVOPT_OK && !image) status = CONVOPT_OUT_OF_MEMORY;
  if (status == CONVOPT_OK) {
    memcpy(image, &header, sizeof header);
    got = fread(image + sizeof header, 1, header.payload_bytes, file);
    unsigned char extra;
    if (got != header.payload_bytes || fread(&extra, 1, 1, file) != 0) status = CONVOPT_WEIGHTS_CORRUPT;
  }
  fclose(file);
  if (status != CONVOPT_OK) {
    free(image);
    return status;
  }
  return make_model(image, image, bytes, out);
}

API void convopt_api_session_free(struct convopt_session* session) {
  if (!session) return;
  pool_destroy(&session->pool);
  if (session->owns_arena) free(session->arena);
  free(session->buffers);
  free(session);
}

API int convopt_api_session_create(const struct convopt_model* model, int num_threads, void* arena,
                                   struct convopt_session** out) {
  if (!out) return CONVOPT_BAD_ARGUMENT;
  *out = 0;
  if (!model || num_threads < 0 || ((uintptr_t)arena % CONVOPT_ALIGNMENT) != 0) return CONVOPT_BAD_ARGUMENT;
  struct convopt_session* s = aligned_alloc_(sizeof *s);
  if (!s) return CONVOPT_OUT_OF_MEMORY;
  memset(s, 0, sizeof *s);
  s->model = model;
  s->owns_arena = arena == 0;
  s->arena = arena ? arena : aligned_alloc_((size_t)convopt_program[CONVOPT_P_ARENA_BYTES]);
  s->buffers = aligned_alloc_(sizeof(float*) * (size_t)(convopt_program[CONVOPT_P_MAX_KERNEL_ARGS] + 1));
  if (!s->arena || !s->buffers) {
    if (s->owns_arena) free(s->arena);
    free(s->buffers);
    free(s);
    return CONVOPT_OUT_OF_MEMORY;
  }
  convopt_thread_choice_init(&s->thread_choice);
  int status = pool_create(&s->pool, num_threads);
  if (status != CONVOPT_OK) {
    if (s->owns_arena) free(s->arena);
    free(s->buffers);
    free(s);
    return status;
  }
  *out = s;
  return CONVOPT_OK;
}

API int convopt_api_session_fix_threads(struct convopt_session* s, int fixed) {
  if (!s) return CONVOPT_BAD_ARGUMENT;
  s->fixed_threads = fixed != 0;
  return CONVOPT_OK;
}

struct kernel_call {
  convopt_kernel kernel;
  float* const* buffers;
  int flush;
};

static void run_kernel(void* context, int64_t begin, int64_t end) {
  const struct kernel_call* call = context;
  fp_mode saved = call->flush ? flush_denormals() : 0;
  call->kernel(call->buffers, begin, end);
  if (call->flush) restore_fp_mode(saved);
}

static const int64_t* step_failed(struct convopt_session* s, int status) {
  s->status = status;
  return 0;
}

static void* buffer_of(const struct convopt_session* s, int64_t source, int64_t offset) {
  return source == CONVOPT_ARENA ? (void*)(s->arena + offset) : (void*)s->model->constants[offset];
}

/* A fallback step: fallback index, input count, input offsets, output count, output offsets. */
static const int64_t* run_fallback(struct convopt_session* s, const int64_t* step) {
  int64_t inputs = step[2], outputs = step[3 + inputs];
  void** buffers = (void**)s->buffers;
  for (int64_t i = 0; i < inputs; ++i) buffers[i] = s->arena + step[3 + i];
  for (int64_t i = 0; i < outputs; ++i) buffers[inputs + i] = s->arena + step[4 + inputs + i];
  if (convopt_fallback_functions.run(s->model->fallbacks[step[1]], (const void* const*)buffers, buffers + inputs) != 0)
    return step_failed(s, CONVOPT_FALLBACK_FAILED);
  return step + 4 + inputs + outputs;
}

/* ---- Control flow around compiled bodies (artifact_format.h: a body's record) ---- */
struct body {
  int64_t num_inputs, num_outputs, num_steps;
  const int64_t *inputs, *outputs, *steps; /* (offset, bytes), (source, offset, bytes), steps */
};

static struct body body_at(int64_t index) {
  const int64_t* record = convopt_program + BODIES[index];
  struct body b;
  b.num_inputs = record[0], b.inputs = record + 1;
  b.num_outputs = b.inputs[2 * b.num_inputs], b.outputs = b.inputs + 2 * b.num_inputs + 1;
  b.num_steps = b.outputs[3 * b.num_outputs], b.steps = b.outputs + 3 * b.num_outputs + 1;
  return b;
}

static int64_t input_bytes(const struct body* b, int64_t i) { return b->inputs[2 * i + 1]; }
static int64_t output_bytes(const struct body* b, int64_t i) { return b->outputs[3 * i + 2]; }
static void set_input(struct convopt_session* s, const struct body* b, int64_t i, const void* from) {
  memcpy(s->arena + b->inputs[2 * i], from, (size_t)input_bytes(b, i));
}
static const void* output_of(const struct convopt_session* s, const struct body* b, int64_t i) {
  return buffer_of(s, b->outputs[3 * i], b->outputs[3 * i + 1]);
}

/* Inputs `first`.. of the body take the `count` values at `from` (source, offset each). */
static void bind(struct convopt_session* s, const struct body* b, int64_t first, const int64_t* from, int64_t count) {
  for (int64_t i = 0; i < count; ++i) set_input(s, b, first + i, buffer_of(s, from[2 * i], from[2 * i + 1]));
}

static int run_steps(struct convopt_session* s, const int64_t* step, int64_t count);

static const int64_t* run_if(struct convopt_session* s, const int64_t* step) {
  int taken = *(const unsigned char*)buffer_of(s, step[1], step[2]) != 0;
  int64_t num_outputs = step[3];
  const int64_t* outputs = step + 4;
  const int64_t* then_call = outputs + num_outputs;
  const int64_t* else_call = then_call + 2 + 2 * then_call[1];
  const int64_t* call = taken ? then_call : else_call;
  struct body b = body_at(call[0]);
  bind(s, &b, 0, call + 2, call[1]);
  if (run_steps(s, b.steps, b.num_steps) != CONVOPT_OK) return 0;
  for (int64_t i = 0; i < num_outputs; ++i)
    memcpy(s->arena + outputs[i], output_of(s, &b, i), (size_t)output_bytes(&b, i));
  return else_call + 2 + 2 * else_call[1];
}

/* Carried values live in the Loop's outputs between trips: a body's outputs
 * may share memory with its inputs, so they are never copied straight back. */
static const int64_t* run_loop(struct convopt_session* s, const int64_t* step) {
  int64_t trips = step[1] == CONVOPT_ABSENT ? INT64_MAX : *(const int64_t*)buffer_of(s, step[1], step[2]);
  int more = step[3] == CONVOPT_ABSENT || *(const unsigned char*)buffer_of(s, step[3], step[4]) != 0;
  int64_t carried = step[5];
  const int64_t* initial = step + 6;
  int64_t scans = initial[2 * carried], scan_trips = initial[2 * carried + 1];
  const int64_t* outputs = initial + 2 * carried + 2;
  const int64_t* call = outputs + carried + scans; /* body index, capture count, (source, offset) each */
  struct body b = body_at(call[0]);
  for (int64_t j = 0; j < carried; ++j)
    memcpy(s->arena + outputs[j], buffer_of(s, initial[2 * j], initial[2 * j + 1]), (size_t)input_bytes(&b, 2 + j));
  int64_t trip = 0;
  for (; trip < trips && more; ++trip) {
    if (scans && trip == scan_trips) return step_failed(s, CONVOPT_LOOP_TRIPS);
    unsigned char go_on = 1;
    set_input(s, &b, 0, &trip);
    set_input(s, &b, 1, &go_on);
    for (int64_t j = 0; j < carried; ++j) set_input(s, &b, 2 + j, s->arena + outputs[j]);
    bind(s, &b, 2 + carried, call + 2, call[1]);
    if (run_steps(s, b.steps, b.num_steps) != CONVOPT_OK) return 0;
    more = *(const unsigned char*)output_of(s, &b, 0) != 0;
    for (int64_t j = 0; j < carried; ++j)
      memcpy(s->arena + outputs[j], output_of(s, &b, 1 + j), (size_t)output_bytes(&b, 1 + j));
    for (int64_t k = 0; k < scans; ++k) {
      int64_t bytes = output_bytes(&b, 1 + carried + k);
      memcpy(s->arena + outputs[carried + k] + trip * bytes, output_of(s, &b, 1 + carried + k), (size_t)bytes);
    }
  }
  if (scans && trip != scan_trips) return step_failed(s, CONVOPT_LOOP_TRIPS);
  return call + 2 + 2 * call[1];
}

/* Runs the step at `step`; returns the word after it, or 0 when it failed (s->status says why). */
static const int64_t* run_step(struct convopt_session* s, const int64_t* step) {
  unsigned char* arena = s->arena;
  switch (step[0]) {
    case CONVOPT_STEP_FALLBACK:
      return run_fallback(s, step);
    case CONVOPT_STEP_IF:
      return run_if(s, step);
    case CONVOPT_STEP_LOOP:
      return run_loop(s, step);
    case CONVOPT_STEP_KERNEL: {
      int64_t count = step[3];
      for (int64_t i = 0; i < count; ++i) s->buffers[i] = buffer_of(s, step[4 + 2 * i], step[5 + 2 * i]);
      struct kernel_call call = {convopt_kernels[step[1]], s->buffers, (int)convopt_program[CONVOPT_P_FLUSH_DENORMALS]};
      parallel_for(&s->pool, step[2], run_kernel, &call);
      return step + 4 + 2 * count;
    }
    default: { /* reorders: from, to, batch, channels, height, width, vector width */
      struct reorder r = {(const float*)(arena + step[1]), (float*)(arena + step[2]), step[4], step[5] * step[6],
                          step[7]};
      int64_t planes = step[3] * ((r.channels + r.v - 1) / r.v);
      parallel_for(&s->pool, planes, step[0] == CONVOPT_STEP_TO_BLOCKED ? to_blocked : from_blocked, &r);
      return step + 8;
    }
  }
}

static int run_steps(struct convopt_session* s, const int64_t* step, int64_t count) {
  for (int64_t i = 0; i < count; ++i)
    if (!(step = run_step(s, step))) return s->status;
  return CONVOPT_OK;
}

/* NAME.h declares the buffers float* when every input and output is float32. */
API int convopt_api_run(struct convopt_session* s, const void* const* inputs, void* const* outputs) {
  int64_t num_inputs = convopt_program[CONVOPT_P_NUM_INPUTS], num_outputs = convopt_program[CONVOPT_P_NUM_OUTPUTS];
  if (!s || (num_inputs && !inputs) || (num_outputs && !outputs)) return CONVOPT_BAD_ARGUMENT;
  for (int64_t i = 0; i < num_inputs; ++i)
    if (!inputs[i]) return CONVOPT_BAD_ARGUMENT;
  for (int64_t i = 0; i < num_outputs; ++i)
    if (!outputs[i]) return CONVOPT_BAD_ARGUMENT;
  const int64_t* in = INPUTS;
  for (int64_t i = 0; i < num_inputs; ++i) memcpy(s->arena + in[2 * i], inputs[i], (size_t)in[2 * i + 1]);
  int adapt = s->pool.threads > 1 && !s->fixed_threads;
  int all = !adapt || convopt_thread_choice_next(&s->thread_choice);
  s->pool.serial = !all;
  if (all) follow_caller(&s->pool);
  int64_t start = now_ns();
  int status = run_steps(s, STEPS, convopt_program[CONVOPT_P_NUM_STEPS]);
  if (status != CONVOPT_OK) return status;
  if (adapt) convopt_thread_choice_record(&s->thread_choice, all, (double)(now_ns() - start) * 1e-9);
  const int64_t* out = OUTPUTS;
  for (int64_t i = 0; i < num_outputs; ++i) {
    memcpy(outputs[i], buffer_of(s, out[3 * i], out[3 * i + 1]), (size_t)out[3 * i + 2]);
  }
  return CONVOPT_OK;
}

API const char* convopt_api_status_string(int status) {
  static const char* const text[CONVOPT_STATUS_COUNT] = {
#define X(name, value, what) what,
      CONVOPT_STATUS_LIST(X)
#undef X
  };
  return status >= 0 && status < CONVOPT_STATUS_COUNT ? text[status] : "unknown status";
}
