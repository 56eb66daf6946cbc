import Testing
import _TestSupport

@testable import BlockIO

/// The edit journal's index of logged pages (sorted runs merged in place) against a dictionary of pages, the
/// form it replaced: every page answers alike after every batch and cut.
@Suite struct LoggedPageMapTests {
    /// Page → (log offset, valid bytes): what the map must answer.
    typealias Model = [UInt64: (offset: UInt64, valid: Int)]

    @Test(arguments: [1, 2, 3, 4, 5])
    func runsAnswerAsADictionaryOfPagesDoes(seed: UInt64) {
        var random = SeededGenerator(seed: seed)
        var map = LoggedPageMap()
        var model: Model = [:]
        var logEnd: UInt64 = 512
        let stride = LoggedPageMap.recordStride
        for step in 0..<300 {
            if Int.random(in: 0..<12, using: &random) == 0 {
                // A cut, as a record of the log (32 bytes).
                let length = UInt64.random(in: 0..<(600 * 4096), using: &random)
                map.cut(to: length)
                let kept = (length + 4095) / 4096
                model = model.filter { $0.key < kept }
                if length % 4096 != 0, let entry = model[length / 4096] {
                    model[length / 4096] = (entry.offset, min(entry.valid, Int(length % 4096)))
                }
                logEnd += 32
            } else {
                // A spill: ascending pages, clustered or scattered, some records skipped (pages left out).
                let base = UInt64.random(in: 0..<500, using: &random)
                let count = Int.random(in: 1..<80, using: &random)
                var page = base
                for _ in 0..<count {
                    page += Int.random(in: 0..<4, using: &random) == 0 ? UInt64.random(in: 1..<20, using: &random) : 1
                    if Int.random(in: 0..<10, using: &random) == 0 { logEnd += stride }  // another record between
                    logEnd += 32
                    map.record(page: page, payloadOffset: logEnd)
                    model[page] = (logEnd, 4096)
                    logEnd += 4096
                }
                map.settle()
            }
            check(map, against: model, context: "seed \(seed) step \(step)")
        }
    }

    /// Records out of order within one batch (a log replayed record by record) settle the batch first.
    @Test func aPageRecordedAgainInOneBatchKeepsTheLatestRecord() {
        var map = LoggedPageMap()
        var model: Model = [:]
        var offset: UInt64 = 544
        for page: UInt64 in [5, 6, 7, 3, 6, 6, 8, 2, 100, 7, 5] {
            map.record(page: page, payloadOffset: offset)
            model[page] = (offset, 4096)
            offset += LoggedPageMap.recordStride
        }
        map.settle()
        check(map, against: model, context: "out of order")
    }

    /// A journal replay's 220,000 neighbouring blocks, spilled 2,048 pages at a time, take a run per spill, not
    /// an entry per page.
    @Test func consecutivePagesTakeARunPerSpill() {
        var map = LoggedPageMap()
        var offset: UInt64 = 544
        var page: UInt64 = 300_000
        for _ in 0..<108 {
            for _ in 0..<2048 {
                map.record(page: page, payloadOffset: offset)
                page += 1
                offset += LoggedPageMap.recordStride
            }
            map.settle()
            offset += 32  // the next spill's records start after a cut record
        }
        #expect(map.runs.count == 108)
        #expect(
            map.location(of: 300_000 + 2048 * 50 + 7)?.payloadOffset == 544 + (2048 * 50 + 7)
                * LoggedPageMap.recordStride + 50 * 32)
        #expect(map.location(of: 299_999) == nil)
        #expect(map.location(of: page) == nil)
    }

    private func check(_ map: LoggedPageMap, against model: Model, context: String) {
        let highest = (model.keys.max() ?? 0) + 30
        let wrong = (0...highest).filter { page in
            let found = map.location(of: page)
            let expected = model[page]
            return found?.payloadOffset != expected?.offset || found?.validBytes != expected?.valid
        }
        #expect(wrong.isEmpty, "pages answered wrong (\(context)): \(wrong.prefix(10))")
        for (earlier, later) in zip(map.runs, map.runs.dropFirst()) {
            #expect(earlier.end <= UInt64(later.first), "runs sorted and apart (\(context))")
            #expect(!earlier.isContinued(by: later), "neighbouring runs coalesced (\(context))")
        }
        #expect(map.runs.allSatisfy { $0.count > 0 }, "no empty run (\(context))")
    }
}
