/* The C API's contract, checked against one compiled model (built like
 * examples/c/run_model.c: -DMODEL=NAME -DMODEL_UPPER=NAME_IN_CAPITALS):
 * - a model loaded from memory computes what one loaded from the file does;
 * - two sessions of one model run concurrently from two threads (one on an
 *   arena the caller owns) and each gets, every time, the single-run result,
 *   also where a session's thread choice runs it on one thread;
 * - a session's worker thread is pinned to a CPU of its own (runtime/thread_placement.h),
 *   unless CONVOPT_PIN_THREADS=0 (or the process may use one CPU only);
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

/* Threads of this process allowed on one CPU only, as /proc lists them. */
static int threads_on_one_cpu(void) {
  int count = 0;
  DIR* tasks = opendir("/proc/self/task");
  CHECK(tasks != NULL, "cannot list /proc/self/task");
  for (struct dirent* task; (task = readdir(tasks)) != NULL;) {
    if (task->d_name[0] == '.') continue;
    char path[300], line[4096];
    snprintf(path, sizeof path, "/proc/self/task/%s/status", task->d_name);
    FILE* status = fopen(path, "r");
    if (!status) continue; /* a thread that has just ended */
    while (fgets(line, sizeof line, status))
      if (strncmp(line, "Cpus_allowed_list:", 18) == 0) count += strpbrk(line + 18, ",-") == NULL;
    fclose(status);
  }
  closedir(tasks);
  return count;
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
  cpu_set_t allowed;
  CHECK(sched_getaffinity(0, sizeof allowed, &allowed) == 0, "sched_getaffinity");
  const char* pin_setting = getenv("CONVOPT_PIN_THREADS");
  int pinned_off = pin_setting && strcmp(pin_setting, "0") == 0;
  int on_one_cpu = CPU_COUNT(&allowed) < 2 || !pinned_off; /* with one CPU allowed, every thread is on it */
  int pinned_before = threads_on_one_cpu();
  CHECK(API(_session_create)(from_memory, 2, NULL, &workers[0].session) == DEF(_OK), "session_create (2 threads)");
  CHECK(threads_on_one_cpu() == pinned_before + on_one_cpu,
        "the 2-thread session's worker is not placed as it should be");
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
