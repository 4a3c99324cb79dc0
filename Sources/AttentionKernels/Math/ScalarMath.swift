#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// exp for the few per-row rescale factors (not on the per-element path).
@inline(__always)
func scalarExp(_ x: Float) -> Float { expf(x) }

@inline(__always)
func scalarLog(_ x: Float) -> Float { logf(x) }
