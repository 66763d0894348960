/* Loads the fake artifact through an installed kiln with plain C11 (pkg-config kiln),
 * runs it on caller buffers and checks y = relu(2x + 1). Exit status 0 on success. */
#include <kiln/kiln.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  kiln_model* model = NULL;
  if (kiln_model_load(argv[1], &model) != KILN_STATUS_OK) {
    printf("load: %s\n", kiln_last_error());
    return 1;
  }
  float x[4] = {-1, 0, 1, 2};
  int64_t k[1] = {0};
  float y[4], flat[4];
  double s[1];
  kiln_tensor in[2];
  memset(in, 0, sizeof in);
  in[0].data = x, in[0].dtype = KILN_DTYPE_FLOAT32, in[0].rank = 2, in[0].dims[0] = 1, in[0].dims[1] = 4;
  in[1].data = k, in[1].dtype = KILN_DTYPE_INT64, in[1].rank = 1, in[1].dims[0] = 1, in[1].name = "k";
  kiln_tensor out[3];
  memset(out, 0, sizeof out);
  out[0].data = y, out[0].bytes = sizeof y;
  out[1].data = s, out[1].bytes = sizeof s;
  out[2].data = flat, out[2].bytes = sizeof flat;
  kiln_run_options options;
  kiln_run_options_init(&options);
  options.num_threads = 1;
  kiln_status status = kiln_run(model, in, 2, out, 3, &options);
  int ok = status == KILN_STATUS_OK;
  for (int i = 0; ok && i < 4; ++i) ok = y[i] == (2 * x[i] + 1 > 0 ? 2 * x[i] + 1 : 0);
  printf("consumer_c: %s %s %s\n", kiln_model_name(model), ok ? "ok" : "FAILED", kiln_last_error());
  kiln_model_free(model);
  return ok ? 0 : 1;
}
