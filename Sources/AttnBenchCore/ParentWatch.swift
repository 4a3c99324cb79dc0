import CSystemShims

/// Ties a worker's life to its parent's.
public enum ParentWatch {
    /// From now on the kernel kills this process when `parentProcessIdentifier` dies; if it
    /// already has, the process exits now. Returns false where the request is not supported.
    @discardableResult
    public static func dieWithParent(_ parentProcessIdentifier: Int32) -> Bool {
        attnbench_die_with_parent(parentProcessIdentifier) == 0
    }
}
