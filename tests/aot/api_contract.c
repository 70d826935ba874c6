/* The C API's contract, checked against one compiled model (built like
 * examples/c/run_model.c: -DMODEL=NAME -DMODEL_UPPER=NAME_IN_CAPITALS):
 * - a model loaded from memory computes what one loaded from the file does;
 * - two sessions of one model run concurrently from two threads (one on an
 *   arena the caller owns) and each gets, every time, the single-run result,
 *   also where a session's thread choice runs it on one thread;
 * - a session's worker thread is pinned to a CPU other than its creator's
 *   (runtime/thread_placement.h), and a run that finds the caller on it moves
 *   it to the CPU the caller left (unless CONVOPT_PIN_THREADS=0 or one CPU is allowed);
 * - bad arguments are status codes, never a crash.
 * Prints "api contract: ok" and exits 0, or says what failed and exits 1.
 * Usage: api_contract WEIGHTS_FILE */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include <dirent.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)
#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
#define API(suffix) CAT(MODEL, suffix)
#define DEF(suffix) CAT(MODEL_UPPER, suffix)
#include STRINGIFY(MODEL.h)

#define CHECK(condition, what)                     \
  do {                                             \
    if (!(condition)) {                            \
      fprintf(stderr, "api contract: %s\n", what); \
      exit(1);                                     \
    }                                              \
  } while (0)

enum { kRuns = 10 }; /* past the thread choice's warm-up and first timings */
static float* input;
static float* expected;

struct worker {
  API(_session) * session;
  int mismatches;
};

/* Threads of this process allowed on one CPU only, as /proc lists them: their
 * ids and CPUs in tids[] / cpus[] (up to 64); returns how many. */
static int threads_on_one_cpu(int* tids, int* cpus) {
  int count = 0;
  DIR* tasks = opendir("/proc/self/task");
  CHECK(tasks != NULL, "cannot list /proc/self/task");
  for (struct dirent* task; (task = readdir(tasks)) != NULL && count < 64;) {
    if (task->d_name[0] == '.') continue;
    char path[300], line[4096];
    snprintf(path, sizeof path, "/proc/self/task/%s/status", task->d_name);
    FILE* status = fopen(path, "r");
    if (!status) continue; /* a thread that has just ended */
    while (fgets(line, sizeof line, status))
      if (strncmp(line, "Cpus_allowed_list:", 18) == 0 && strpbrk(line + 18, ",-") == NULL)
        tids[count] = atoi(task->d_name), cpus[count++] = atoi(line + 18);
    fclose(status);
  }
  closedir(tasks);
  return count;
}

/* A thread on one CPU now that is not in before[]: its id, its CPU in *cpu; -1 if none. */
static int new_thread_on_one_cpu(const int* before, int before_count, int* cpu) {
  int tids[64], cpus[64], count = threads_on_one_cpu(tids, cpus);
  for (int i = 0; i < count; ++i) {
    int seen = 0;
    for (int j = 0; j < before_count; ++j) seen |= before[j] == tids[i];
    if (!seen) return *cpu = cpus[i], tids[i];
  }
  return -1;
}

static void pin_this_thread(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  CHECK(sched_setaffinity(0, sizeof set, &set) == 0, "sched_setaffinity");
}

/* A 2-thread session pins its worker to a CPU; a run that finds the caller on
 * that CPU moves the worker to another (the one the caller left). */
static void check_worker_placement(API(_model) * model) {
  cpu_set_t allowed;
  CHECK(sched_getaffinity(0, sizeof allowed, &allowed) == 0, "sched_getaffinity");
  const char* setting = getenv("CONVOPT_PIN_THREADS");
  if (CPU_COUNT(&allowed) < 2 || (setting && strcmp(setting, "0") == 0)) return;
  int before[65], before_cpus[64];
  int before_count = threads_on_one_cpu(before, before_cpus);
  before[before_count++] = (int)syscall(SYS_gettid); /* pinned below: not the worker */
  API(_session) * session;
  CHECK(API(_session_create)(model, 2, NULL, &session) == DEF(_OK), "session_create (2 threads, placement)");
  int worker_cpu = -1, worker = new_thread_on_one_cpu(before, before_count, &worker_cpu);
  CHECK(worker >= 0, "a 2-thread session's worker is not pinned to a CPU");
  CHECK(API(_session_fix_threads)(session, 1) == DEF(_OK), "fix_threads (placement)");
  pin_this_thread(worker_cpu); /* the caller lands on the worker's CPU */
  float* output = malloc(sizeof(float) * DEF(_OUTPUT_0_ELEMENTS));
  const float* inputs[1] = {input};
  float* outputs[1] = {output};
  CHECK(API(_run)(session, inputs, outputs) == DEF(_OK), "run (placement)");
  int moved_cpu = -1;
  CHECK(new_thread_on_one_cpu(before, before_count, &moved_cpu) == worker && moved_cpu != worker_cpu,
        "a run on the worker's CPU did not move the worker");
  CHECK(sched_setaffinity(0, sizeof allowed, &allowed) == 0, "sched_setaffinity (restore)");
  free(output);
  API(_session_free)(session);
}

static void* run_repeatedly(void* argument) {
  struct worker* w = argument;
  float* output = malloc(sizeof(float) * DEF(_OUTPUT_0_ELEMENTS));
  const float* inputs[1] = {input};
  float* outputs[1] = {output};
  for (int r = 0; r < kRuns; ++r) {
    if (API(_run)(w->session, inputs, outputs) != DEF(_OK)) w->mismatches++;
    if (memcmp(output, expected, sizeof(float) * DEF(_OUTPUT_0_ELEMENTS)) != 0) w->mismatches++;
  }
  free(output);
  return NULL;
}

int main(int argc, char** argv) {
  CHECK(argc == 2, "usage: api_contract WEIGHTS_FILE");
  CHECK(DEF(_NUM_INPUTS) == 1 && DEF(_NUM_OUTPUTS) == 1, "the test takes a model of one input and one output");
  input = malloc(sizeof(float) * DEF(_INPUT_0_ELEMENTS));
  expected = malloc(sizeof(float) * DEF(_OUTPUT_0_ELEMENTS));
  for (long i = 0; i < DEF(_INPUT_0_ELEMENTS); ++i) input[i] = (float)(i % 17) / 17.0f - 0.5f;

  API(_model) * from_file, *from_memory;
  CHECK(API(_model_load)(argv[1], &from_file) == DEF(_OK), "model_load");
  FILE* file = fopen(argv[1], "rb");
  CHECK(file != NULL, "cannot open the weights file");
  char* bytes = malloc(DEF(_WEIGHTS_BYTES) + 1); /* deliberately not 64-byte aligned */
  CHECK(fread(bytes + 1, 1, DEF(_WEIGHTS_BYTES), file) == DEF(_WEIGHTS_BYTES), "cannot read the weights file");
  fclose(file);
  CHECK(API(_model_from_memory)(bytes + 1, DEF(_WEIGHTS_BYTES), &from_memory) == DEF(_OK), "model_from_memory");
  free(bytes); /* the model keeps its own copy */

  API(_session) * single;
  CHECK(API(_session_create)(from_file, 1, NULL, &single) == DEF(_OK), "session_create");
  const float* inputs[1] = {input};
  float* outputs[1] = {expected};
  CHECK(API(_run)(single, inputs, outputs) == DEF(_OK), "run");

  void* arena = NULL;
  CHECK(posix_memalign(&arena, 64, DEF(_ARENA_BYTES)) == 0, "posix_memalign");
  struct worker workers[2] = {{NULL, 0}, {NULL, 0}};
  CHECK(API(_session_create)(from_memory, 2, NULL, &workers[0].session) == DEF(_OK), "session_create (2 threads)");
  CHECK(API(_session_create)(from_file, 1, arena, &workers[1].session) == DEF(_OK), "session_create (own arena)");
  pthread_t threads[2];
  for (int i = 0; i < 2; ++i) pthread_create(&threads[i], NULL, run_repeatedly, &workers[i]);
  for (int i = 0; i < 2; ++i) pthread_join(threads[i], NULL);
  CHECK(workers[0].mismatches == 0, "a concurrent session (model from memory, 2 threads) differs from the single run");
  CHECK(workers[1].mismatches == 0, "a concurrent session (caller's arena) differs from the single run");

  API(_session) * unused;
  CHECK(API(_run)(single, NULL, outputs) == DEF(_BAD_ARGUMENT), "run without inputs");
  CHECK(API(_run)(NULL, inputs, outputs) == DEF(_BAD_ARGUMENT), "run without a session");
  CHECK(API(_session_create)(from_file, -1, NULL, &unused) == DEF(_BAD_ARGUMENT), "negative thread count");
  CHECK(API(_session_create)(from_file, 1, (char*)arena + 4, &unused) == DEF(_BAD_ARGUMENT), "misaligned arena");
  CHECK(API(_session_fix_threads)(NULL, 1) == DEF(_BAD_ARGUMENT), "fix_threads without a session");
  CHECK(API(_session_fix_threads)(workers[0].session, 1) == DEF(_OK), "fix_threads");
  run_repeatedly(&workers[0]);
  CHECK(workers[0].mismatches == 0, "a session with fixed threads differs from the single run");
  CHECK(API(_model_load)(argv[1], NULL) == DEF(_BAD_ARGUMENT), "model_load without out");
  CHECK(strcmp(API(_status_string)(12345), "unknown status") == 0, "status_string of an unknown status");
  check_worker_placement(from_file);

  for (int i = 0; i < 2; ++i) API(_session_free)(workers[i].session);
  API(_session_free)(single);
  API(_model_free)(from_memory);
  API(_model_free)(from_file);
  API(_session_free)(NULL);
  API(_model_free)(NULL);
  free(arena);
  printf("api contract: ok\n");
  return 0;
}
