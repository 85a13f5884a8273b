// Builds against the installed llmroof package and checks one number of the source article.
#include <cmath>
#include <cstdio>

#include "llmroof/model/model_spec.hpp"
#include "llmroof/model/quant.hpp"
#include "llmroof/model/weights.hpp"
#include "llmroof/physics/roofline.hpp"

int main() {
  const auto model = llmroof::generic_model(7e9, "7b");
  const auto weights = llmroof::model_weights(model, *llmroof::find_quant("int4"));
  const auto step = llmroof::decode_step(model, weights, {1935e9, 1248e12}, {});
  std::printf("7b int4 on an A100 80GB PCIe: %.2f tokens/s\n", step.tokens_per_s);
  return std::fabs(step.tokens_per_s - 552.857142857) < 1e-6 ? 0 : 1;
}
