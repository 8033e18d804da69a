package dev.shears.core.report;

/**
 * One block in the report.
 *
 * @param name the block
 * @param tower its tower
 * @param parameters prunable weights in it
 * @param allocatedSparsity the allocator's decision
 * @param achievedSparsity what the fine stage removed, over the block
 * @param importance the zeroth-order importance, when it was measured
 */
public record BlockReport(
    String name,
    String tower,
    long parameters,
    double allocatedSparsity,
    double achievedSparsity,
    Double importance) {}
