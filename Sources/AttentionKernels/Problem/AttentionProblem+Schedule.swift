extension AttentionProblem {
    /// The (batch·head slice, query block) that task `task` of a query-blocked kernel computes,
    /// for `slices` slices of `queryBlocks` blocks each. Causal: the last query blocks see the
    /// most keys, so tasks go out longest first across all slices (the longest-processing-time
    /// rule); workers then run tasks of similar length side by side and the dynamic schedule
    /// ends on the shortest ones. Otherwise slice by slice.
    @inline(__always)
    func queryBlockTask(_ task: Int, slices: Int, queryBlocks: Int) -> (slice: Int, queryBlock: Int) {
        causal ? (task % slices, queryBlocks - 1 - task / slices) : (task / queryBlocks, task % queryBlocks)
    }
}
