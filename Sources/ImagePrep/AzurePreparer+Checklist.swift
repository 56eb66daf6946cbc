import GuestConfig

/// The kernel arguments azure-prepare adds, following the guest: `numa=off` for kernels older than 2.6.37.
extension AzurePreparer {
    /// The newest installed kernel, when it is older than 2.6.37 (those need `numa=off` on Azure: the CentOS 6
    /// seed's step for a NUMA bug of the old kernels); `nil` otherwise or when no kernel is found.
    public static func kernelNeedingNumaOff(_ files: any GuestFiles) throws(ImagePrepError) -> InstalledKernel? {
        let kernels = try InstalledKernel.read(files)
        guard let newest = kernels.max(by: { Version.numbers($0.release).lexicographicallyPrecedes(Version.numbers($1.release)) }),
            Version.less(newest.release, than: [2, 6, 37])
        else { return nil }
        return newest
    }

    /// The arguments the kernel-args operation adds on this guest.
    static func kernelArguments(_ c: PlanContext) throws(ImagePrepError) -> [String] {
        var arguments = requiredKernelArguments
        if let kernel = try kernelNeedingNumaOff(c.files) {
            arguments.append("numa=off")
            c.note(.info, "numa=off added: kernel \(kernel.release) is older than 2.6.37", path: kernel.path)
        }
        return arguments
    }
}
