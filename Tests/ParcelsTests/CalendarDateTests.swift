import Foundation
import Testing
import Parcels

/// Dates as events store them (YYYY-MM-DD, written byte by byte), against Foundation's
/// `String(format:)`, and read back.
@Suite struct CalendarDateTests {
    @Test func everyDateIsWrittenAsFormatWritesItAndReadsBack() throws {
        var checked = 0
        for year in Array(stride(from: 1900, through: 2999, by: 7)) + [2000, 2024, 2999] {
            for month in 1...12 {
                for day in 1...31 {
                    guard let date = CalendarDate(year: year, month: month, day: day) else { continue }
                    let expected = String(format: "%04d-%02d-%02d", year, month, day)
                    #expect(date.description == expected)
                    #expect(try CalendarDate(parsing: date.description) == date)
                    checked += 1
                }
            }
        }
        #expect(checked > 50_000)
    }
}
