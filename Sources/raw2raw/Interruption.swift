import Dispatch
import Foundation

/// The result of a run of ``runCancellingOnInterrupt(notice:_:)``, handed from its task to the waiting caller.
private final class InterruptibleOutcome<T>: @unchecked Sendable {
    let lock = NSLock()
    var result: Result<T, any Error>?
}

/// Runs `body` in a task that the first Ctrl-C (SIGINT) cancels, and waits for it.
///
/// Long operations check `Task.isCancelled` between files and stop with their typed
/// cancellation error, leaving only whole files. While `body` runs, the first SIGINT prints
/// `notice` and cancels the task; a second one ends the process as usual. The caller blocks
/// until `body` returns, so `body` and its result never run concurrently with it.
func runCancellingOnInterrupt<T>(notice: String, _ body: @escaping () throws -> T) throws -> T {
    let outcome = InterruptibleOutcome<T>()
    let done = DispatchSemaphore(value: 0)
    nonisolated(unsafe) let body = body  // runs only while this thread waits below
    let task = Task.detached {
        let r = Result { try body() }
        outcome.lock.withLock { outcome.result = r }
        done.signal()
    }
    signal(SIGINT, SIG_IGN)
    let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
    source.setEventHandler {
        printError(notice)
        task.cancel()
        signal(SIGINT, SIG_DFL)
    }
    source.resume()
    done.wait()
    source.cancel()
    signal(SIGINT, SIG_DFL)
    return try outcome.lock.withLock { outcome.result! }.get()
}
