import Estimators
import ReplicateEngine
import Testing
import TestSupport

@Suite struct WorkListTests {
  /// The lazy work list is the materialised schedule, item for item: conditions by decreasing
  /// cost, replicates in order, only the shard's, none already done; `count` is exact. Checked
  /// against a brute-force enumeration over many shapes (reps, shard, done items).
  @Test(arguments: [1, 2, 7, 30])
  func lazyListEqualsTheBruteForceSchedule(_ reps: Int) {
    let study = toyStudy()
    let conditions = study.defaultConditions
    let rng = testStream("work-list", reps)
    for shardCount in [1, 2, 3, 5] {
      for shardIndex in 1...shardCount {
        let shard = Shard(index: shardIndex, count: shardCount)!
        var done = Set<WorkItem>()
        for _ in 0..<rng.uniformInt(2 * reps + 1) {
          // Done items may lie beyond reps or outside the shard: they must not be counted.
          done.insert(WorkItem(condition: rng.uniformInt(conditions.count), replicate: rng.uniformInt(reps + 3)))
        }
        let order = conditions.indices.sorted { study.cost(conditions[$0]) > study.cost(conditions[$1]) }
        let expected = order.flatMap { c in (0..<reps).map { WorkItem(condition: c, replicate: $0) } }
          .filter { shard.contains($0) && !done.contains($0) }
        let work = WorkList(study, conditions: conditions, reps: reps, shard: shard, done: done)
        var listed: [WorkItem] = []
        let all = WorkList(items: expected)
        #expect(all.count == expected.count && all.first == expected.first)
        // Enumerate through the engine's own path: an in-memory run of exactly these items.
        let sink = MemorySink(conditions: conditions.count)
        if work.count > 0 {
          _ = try? Engine.execute(study, conditions: conditions, work: work, options: RunOptions(reps: reps, seed: 1, threads: 1), sink: sink)
        }
        for c in conditions.indices { listed += Set(sink.sorted.rows[c].map { WorkItem(condition: c, replicate: Int($0.replicate)) }) }
        #expect(work.count == expected.count)
        #expect(work.first == expected.first)
        #expect(Set(listed) == Set(expected))
      }
    }
  }
}
