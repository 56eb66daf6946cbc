import Testing

@testable import GuestConfig

@Suite("How an initramfs uses rootdelay")
struct InitramfsRootDelayTests {
    /// The shape of initramfs-tools' /init argument parsing and its sleep (Debian 12).
    static let debianInit = """
        for x in $(cat /proc/cmdline); do
        \tcase $x in
        \trootdelay=*)
        \t\tROOTDELAY="${x#rootdelay=}"
        \t\tcase ${ROOTDELAY} in
        \t\t*[![:digit:].]*)
        \t\t\tROOTDELAY=
        \t\t\t;;
        \t\tesac
        \t\t;;
        \tesac
        done
        if [ "$ROOTDELAY" ]; then
        \tsleep "$ROOTDELAY"
        fi
        """
    /// The shape of a wait loop bounded by rootdelay (initramfs-tools' scripts/local).
    static let waitLoop = """
        \t\t# Timeout is max(30, rootdelay) seconds (approximately)
        \t\tslumber=30
        \t\tif [ "${ROOTDELAY:-0}" -gt $slumber ]; then
        \t\t\tslumber=$ROOTDELAY
        \t\tfi
        \t\twhile [ ${slumber} -gt 0 ]; do sleep 0.1; slumber=$((slumber - 1)); done
        """

    @Test func unconditionalSleepWinsOverABoundedWait() {
        let found = InitramfsRootDelay.classify([("scripts/local", Self.waitLoop), ("init", Self.debianInit)])
        #expect(found?.behavior == .unconditionalSleep)
        #expect(found?.script == "init" && found?.line == 14 && found?.text == "sleep \"$ROOTDELAY\"")
    }

    @Test func boundedWaitAndOtherForms() {
        let bound = InitramfsRootDelay.classify([("scripts/local", Self.waitLoop)])
        #expect(bound?.behavior == .upperBound && bound?.line == 3)
        #expect(
            InitramfsRootDelay.classify([("init", "[ -n \"$rootdelay\" ] && /bin/sleep $rootdelay\n")])?.behavior
                == .unconditionalSleep)
        #expect(
            InitramfsRootDelay.classify([("init", "if [ \"$ROOTDELAY\" ]; then sleep ${ROOTDELAY}; fi\n")])?.behavior
                == .unconditionalSleep)
        #expect(InitramfsRootDelay.classify([("init", "# sleep \"$ROOTDELAY\"\nsleep 1\n")]) == nil)
        #expect(InitramfsRootDelay.classify([("init", "exec switch_root /root /sbin/init\n")]) == nil)
    }
}
