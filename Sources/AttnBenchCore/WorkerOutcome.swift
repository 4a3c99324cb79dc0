/// How a worker process ended, as the parent saw it.
public enum WorkerOutcome: Sendable {
    case response(WorkerResponse)
    case outOfMemory
    case timedOut(limitSeconds: Double)
    case crashed(String)
}
