/* Runs a model compiled by `convopt compile MODEL -o DIR --name NAME`: the way
 * a C program uses the generated API. Build it against any compiled model:
 *
 *   cc -O2 -I DIR -DMODEL=NAME -DMODEL_UPPER=NAME_IN_CAPITALS \
 *      examples/c/run_model.c DIR/NAME.o -lm -lpthread -o run_model
 *   ./run_model DIR/NAME.weights            # a synthetic image-like input
 *   ./run_model - --in x.bin --out y.bin    # embedded weights; raw tensor files
 *   ./run_model DIR/NAME.weights --threads 2 --runs 50   # median latency
 *
 * Files hold each tensor's elements as the header's NAME_INPUT_i_DTYPE says
 * (float32, int64, bool, ...), dense row-major. Prints each float32 output's
 * min, max and arg-max. Exit codes: 0 ok, 2 bad
 * arguments or files, 1 an API call failed (its status string is printed). */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)
#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
#define API(suffix) CAT(MODEL, suffix)       /* API(_run) -> NAME_run */
#define DEF(suffix) CAT(MODEL_UPPER, suffix) /* DEF(_NUM_INPUTS) -> NAME_NUM_INPUTS */
#include STRINGIFY(MODEL.h)

static const long kInputElements[] = DEF(_INPUT_ELEMENTS);
static const long kInputBytes[] = DEF(_INPUT_BYTES);
static const char* const kInputDtypes[] = DEF(_INPUT_DTYPES);
static const long kOutputElements[] = DEF(_OUTPUT_ELEMENTS);
static const long kOutputBytes[] = DEF(_OUTPUT_BYTES);
static const char* const kOutputDtypes[] = DEF(_OUTPUT_DTYPES);

static int fail(int status, const char* what) {
  fprintf(stderr, "run_model: %s: %s\n", what, API(_status_string)(status));
  return 1;
}

static void* read_tensor(const char* path, int i) {
  void* data = malloc((size_t)kInputBytes[i] + 1);
  FILE* file = fopen(path, "rb");
  int ok = data && file && fread(data, 1, (size_t)kInputBytes[i], file) == (size_t)kInputBytes[i] && fgetc(file) == EOF;
  if (file) fclose(file);
  if (!ok) {
    fprintf(stderr, "run_model: '%s' is not %ld %s values\n", path, kInputElements[i], kInputDtypes[i]);
    free(data);
    return NULL;
  }
  return data;
}

/* An image-like float32 input: smooth gradients per channel, values in [-1, 1]; zeros of other types. */
static void* synthetic_input(int i) {
  void* data = calloc((size_t)kInputBytes[i] + 1, 1);
  if (data && strcmp(kInputDtypes[i], "float32") == 0)
    for (long k = 0; k < kInputElements[i]; ++k) ((float*)data)[k] = (float)((k * 7919 % 2001) - 1000) / 1000.0f;
  return data;
}

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int compare_doubles(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s WEIGHTS|- [--threads N] [--runs R] [--in FILE]... [--out FILE]...\n", argv[0]);
    return 2;
  }
  const char* weights = strcmp(argv[1], "-") == 0 ? NULL : argv[1];
  int threads = 1, runs = 1, num_in = 0, num_out = 0;
  const char* in_paths[DEF(_NUM_INPUTS) + 1] = {0};
  const char* out_paths[DEF(_NUM_OUTPUTS) + 1] = {0};
  for (int i = 2; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "--threads") == 0)
      threads = atoi(argv[i + 1]);
    else if (strcmp(argv[i], "--runs") == 0)
      runs = atoi(argv[i + 1]);
    else if (strcmp(argv[i], "--in") == 0 && num_in < DEF(_NUM_INPUTS))
      in_paths[num_in++] = argv[i + 1];
    else if (strcmp(argv[i], "--out") == 0 && num_out < DEF(_NUM_OUTPUTS))
      out_paths[num_out++] = argv[i + 1];
    else {
      fprintf(stderr, "run_model: unexpected argument '%s'\n", argv[i]);
      return 2;
    }
  }
  if (num_in != 0 && num_in != DEF(_NUM_INPUTS)) {
    fprintf(stderr, "run_model: the model takes %d inputs\n", DEF(_NUM_INPUTS));
    return 2;
  }
  // Everything below is released at `done`, whichever way the run ends.
  const API(_data) * inputs[DEF(_NUM_INPUTS) + 1] = {0};
  API(_data) * outputs[DEF(_NUM_OUTPUTS) + 1] = {0};
  double* ms = NULL;
  API(_model)* model = NULL;
  API(_session)* session = NULL;
  int exit_code = 2, status;
  for (int i = 0; i < DEF(_NUM_INPUTS); ++i)
    if (!(inputs[i] = num_in ? read_tensor(in_paths[i], i) : synthetic_input(i))) goto done;
  for (int i = 0; i < DEF(_NUM_OUTPUTS); ++i) outputs[i] = malloc((size_t)kOutputBytes[i] + 1);

  if ((status = API(_model_load)(weights, &model))) {
    exit_code = fail(status, "loading the model");
    goto done;
  }
  if ((status = API(_session_create)(model, threads, NULL, &session))) {
    exit_code = fail(status, "creating a session");
    goto done;
  }
  ms = malloc(sizeof(double) * (size_t)(runs > 0 ? runs : 1));
  for (int r = 0; r < runs; ++r) {
    double start = now_ms();
    if ((status = API(_run)(session, inputs, outputs))) {
      exit_code = fail(status, "running");
      goto done;
    }
    ms[r] = now_ms() - start;
  }
  for (int i = 0; i < DEF(_NUM_OUTPUTS); ++i) {
    if (strcmp(kOutputDtypes[i], "float32") == 0 && kOutputElements[i] > 0) {
      const float* values = (const float*)outputs[i];
      long best = 0;
      float lo = values[0], hi = values[0];
      for (long k = 1; k < kOutputElements[i]; ++k) {
        if (values[k] < lo) lo = values[k];
        if (values[k] > hi) hi = values[k], best = k;
      }
      printf("output %d: %ld values, min %g max %g at %ld\n", i, kOutputElements[i], lo, hi, best);
    } else {
      printf("output %d: %ld %s values\n", i, kOutputElements[i], kOutputDtypes[i]);
    }
    if (i < num_out) {
      FILE* file = fopen(out_paths[i], "wb");
      int written = file && fwrite(outputs[i], 1, (size_t)kOutputBytes[i], file) == (size_t)kOutputBytes[i];
      if (file && fclose(file) != 0) written = 0;
      if (!written) {
        fprintf(stderr, "run_model: cannot write '%s'\n", out_paths[i]);
        goto done;
      }
    }
  }
  if (runs > 1) {
    qsort(ms, (size_t)runs, sizeof(double), compare_doubles);
    printf("latency: median %.4f ms, min %.4f ms over %d runs, %d thread(s)\n", ms[runs / 2], ms[0], runs, threads);
  }
  exit_code = 0;
done:
  if (session) API(_session_free)(session);
  if (model) API(_model_free)(model);
  free(ms);
  for (int i = 0; i < DEF(_NUM_INPUTS); ++i) free((void*)inputs[i]);
  for (int i = 0; i < DEF(_NUM_OUTPUTS); ++i) free(outputs[i]);
  return exit_code;
}
