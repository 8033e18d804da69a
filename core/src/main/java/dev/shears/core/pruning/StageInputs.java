package dev.shears.core.pruning;

import dev.shears.core.graph.PrunableTensor;
import dev.shears.core.onnx.ModelFile;
import dev.shears.core.progress.Progress;
import java.util.List;
import java.util.Map;

/**
 * What every stage of one run reads.
 *
 * @param model the model read
 * @param blocks the prunable tensors by block, in block order
 * @param prunable every prunable tensor, in inventory order
 * @param options the user's options
 * @param strategies the resolved strategies
 * @param timings where stages add their wall time
 * @param progress where notes and bars go
 */
record StageInputs(ModelFile model, Map<String, List<PrunableTensor>> blocks, List<PrunableTensor> prunable,
    PruneOptions options, Strategies strategies, Timings timings, Progress progress) {}
