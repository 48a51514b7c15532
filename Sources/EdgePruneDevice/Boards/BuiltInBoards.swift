/// The profiles of boards/*.json, built in so a device needs no file. A test decodes the JSON
/// files and checks they equal these values; change both together.
extension BoardProfile {
    public static let builtIn: [BoardProfile] = [pi4, pi5, zero2w, x86_64Generic]

    /// The 40-pin header's GPIO line names on every Raspberry Pi profile (GPIOn is offset n;
    /// 0 and 1 are the HAT EEPROM's ID_SDA/ID_SCL and are left out).
    static let headerLines: [String] = (2...27).map { "GPIO\($0)" }

    static let budgetNotes = "Starting points, not measurements. latency_p95_ms: half the 20 ms period of a 50 Hz sensor loop on "
        + "the Pi 4 (10 ms), scaled by core generation and clock for the other boards (Pi 5: Cortex-A76 at 2.4 "
        + "GHz, 5 ms; Zero 2 W: Cortex-A53 at 1.0 GHz, 20 ms; x86-64: 5 ms). power_w: idle_watts plus two fully "
        + "busy cores (2 x active_watts_per_core), rounded, which leaves room for the OS and I/O. Measure the "
        + "model with `edgeprune bench` and set budgets for the task."

    public static func builtIn(named name: String) -> BoardProfile? {
        builtIn.first { $0.name == name }
    }

    public static let pi4 = BoardProfile(
        name: "pi4",
        model: "Raspberry Pi 4 Model B (BCM2711, 4x Cortex-A72, LPDDR4)",
        cores: 4,
        idleWatts: 2.7,
        activeWattsPerCore: 0.93,
        joulesPerMAC: 3e-12,
        joulesPerByte: 8e-11,
        source: "Jeff Geerling, Power Consumption Benchmarks, https://www.pidramble.com/wiki/benchmarks/power-consumption "
            + "(headless, at the USB input): Pi 4 B idle 540 mA (2.7 W), 400% CPU load (stress --cpu 4) 1280 mA (6.4 W); "
            + "active_watts_per_core = (6.4 - 2.7) / 4. Consistent with https://github.com/iiab/iiab/issues/4050 "
            + "(USB tester: Pi 4 idle about 0.5 A at 5 V). Firmware updates moved these by about 0.5 W "
            + "(The MagPi, 'Thermal testing Raspberry Pi 4', raspberrypi.org blog, 2019): treat as +-20%.",
        estimateNotes: "Order-of-magnitude estimates, not measurements. Per MAC: Horowitz (ISSCC 2014, 'Computing's "
            + "energy problem') gives 3.7 pJ for a 32-bit float multiply and 0.9 pJ for an add at 45 nm; BCM2711 is "
            + "28 nm, so about 2-3 pJ for the arithmetic. The busy-core term already contains the core's power while it "
            + "computes, so this term is only the extra SIMD datapath energy: 3e-12 J. Per byte: LPDDR4 costs a few pJ "
            + "per bit in the device and interface plus the controller, about 40-100 pJ per byte moved (Horowitz's "
            + "45 nm DDR3 figure, 1.3-2.6 nJ per 64-bit access = 160-320 pJ/byte, is the upper bound): 8e-11 J.",
        clockMHz: 1500,
        neon: true,
        dotprod: false,
        gpio: GPIOHeader(
            chips: ["gpiochip0"], label: "pinctrl-bcm2711", lineCount: 58, lines: headerLines,
            notes: "GPIOn is offset n. gpiochip1 (raspberrypi-exp-gpio, 8 lines) is the firmware's expander, not the "
                + "header. Older Raspberry Pi OS kernels named some header lines by function (SDA1, SCL1, GPIO_GCLK, "
                + "SPI_CE0_N, TXD1, ...); offsets never changed, so offsets are the portable choice. Offsets 0 and 1 "
                + "(ID_SDA, ID_SCL) are the HAT EEPROM bus."),
        defaultBudgets: DefaultBudgets(latencyP95Ms: 10, powerW: 4.5, notes: budgetNotes),
        hardwareSource: "Clock: Raspberry Pi documentation, config.txt overclocking options "
            + "(https://github.com/raspberrypi/documentation/blob/develop/documentation/asciidoc/computers/config_txt/overclocking.adoc): "
            + "arm_freq defaults to 1500 MHz on Pi 4B up to R1.3, and on R1.4 unless arm_boost=1 (1800 MHz; the Pi "
            + "400 runs 1800). NEON yes, dot product no: a Pi 4 /proc/cpuinfo reads 'Features: fp asimd evtstrm "
            + "crc32 cpuid', CPU part 0xd08 (Cortex-A72, Armv8.0-A; "
            + "https://github.com/nicolargo/glances/issues/2616); SDOT/UDOT are an Armv8.2-A option. GPIO: "
            + "gpiodetect on a Pi 4 shows 'gpiochip0 [pinctrl-bcm2711] (58 lines)' and 'gpiochip1 "
            + "[raspberrypi-exp-gpio] (8 lines)' (https://github.com/WiringPi/WiringPi/issues/280); the label is "
            + "bcm2711_gpio_chip's in Linux drivers/pinctrl/bcm/pinctrl-bcm2835.c; line names from "
            + "raspberrypi/linux arch/arm/boot/dts/broadcom/bcm2711-rpi-4-b.dts (gpio-line-names: ID_SDA, ID_SCL, "
            + "GPIO2 ... GPIO27, then on-board functions); older names as gpioinfo printed them: "
            + "https://raspberrypi.stackexchange.com/questions/121713")

    public static let pi5 = BoardProfile(
        name: "pi5",
        model: "Raspberry Pi 5 (BCM2712, 4x Cortex-A76, LPDDR4X)",
        cores: 4,
        idleWatts: 3.0,
        activeWattsPerCore: 1.0,
        joulesPerMAC: 2e-12,
        joulesPerByte: 6e-11,
        source: "Idle: https://github.com/iiab/iiab/issues/4050 (USB tester: Pi 5 idle about 0.65 A at 5 V, 3.3 W); "
            + "https://github.com/geerlingguy/sbc-reviews/issues/21 (T. Kaiser: a 1.8 W idle reading is 'too low "
            + "compared to what everyone else measures'; about 7.9 W during Geekbench multi-core). Per core: a Pi 5 PMIC "
            + "measurement (vcgencmd pmic_read_adc, rails only) of 1.55 W idle and 4.51 W with 4 busy cores gives "
            + "0.74 W per core on the rails, about 0.85 W at the input with the community conversion fit "
            + "(x1.1451 + 0.59 W); Geekbench's 7.9 W gives about 1.2 W per core. Chosen: 3.0 W idle, 1.0 W per core "
            + "(7 W with 4 busy cores): treat as +-30%, and prefer PMICMeter on this board.",
        estimateNotes: "Order-of-magnitude estimates, not measurements. Per MAC: Horowitz (ISSCC 2014) 4.6 pJ for a "
            + "32-bit float multiply-add at 45 nm, scaled to BCM2712's 16 nm: about 1-2 pJ; the busy-core term already "
            + "holds the core's power while computing, so this is only the extra datapath energy: 2e-12 J. Per byte: "
            + "LPDDR4X runs its I/O at 0.6 V, somewhat cheaper than LPDDR4: about 30-80 pJ per byte moved: 6e-11 J.",
        clockMHz: 2400,
        neon: true,
        dotprod: true,
        gpio: GPIOHeader(
            chips: ["gpiochip0", "gpiochip4"], label: "pinctrl-rp1", lineCount: 54, lines: headerLines,
            notes: "The header is on RP1 (pinctrl-rp1). Raspberry Pi OS kernels from 6.6.45 on call it gpiochip0 (a "
                + "device-tree alias; the SoC's own chips moved to gpiochip10-13); earlier kernels call it gpiochip4. "
                + "Open the first that exists, or match the label. GPIOn is offset n; offsets 0 and 1 (ID_SDA, ID_SCL) "
                + "are the HAT EEPROM bus."),
        defaultBudgets: DefaultBudgets(latencyP95Ms: 5, powerW: 5, notes: budgetNotes),
        hardwareSource: "Clock: Raspberry Pi documentation, config.txt overclocking options "
            + "(https://github.com/raspberrypi/documentation/blob/develop/documentation/asciidoc/computers/config_txt/overclocking.adoc): "
            + "arm_freq defaults to 2400 MHz on Pi 5. NEON and dot product: a Pi 5 /proc/cpuinfo reads 'Features: "
            + "fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm lrcpc dcpop asimddp', "
            + "CPU part 0xd0b (Cortex-A76; https://github.com/hrw/arm-socs-table/issues/96). GPIO: 'gpiochip4 "
            + "[pinctrl-rp1] (54 lines)' became gpiochip0 with https://github.com/raspberrypi/linux/pull/6144 "
            + "(gpiodetect on 6.6.20 and 6.6.47 kernels: https://github.com/WiringPi/WiringPi/issues/280); line "
            + "names from raspberrypi/linux arch/arm64/boot/dts/broadcom/bcm2712-rpi-5-b.dts (&rp1_gpio "
            + "gpio-line-names: ID_SDA, ID_SCL, GPIO2 ... GPIO27, then on-board functions).")

    public static let zero2w = BoardProfile(
        name: "zero2w",
        model: "Raspberry Pi Zero 2 W (RP3A0/BCM2710A1, 4x Cortex-A53, LPDDR2)",
        cores: 4,
        idleWatts: 0.6,
        activeWattsPerCore: 0.35,
        joulesPerMAC: 5e-12,
        joulesPerByte: 1.5e-10,
        source: "Idle: CNX Software, 'A deep dive into Raspberry Pi Zero 2 W's power consumption' (2021-12-09, "
            + "https://www.cnx-software.com/2021/12/09/raspberry-pi-zero-2-w-power-consumption/, Otii Arc): about "
            + "120 mA at 5 V (600 mW) idle on Raspberry Pi OS Lite Bullseye, 375 mW after tuning. Load: A. Jacobs, "
            + "https://andrejacobs.org/electronics/raspberry-pi-zero-2-w-temperature-and-power-consumption/ : under "
            + "full load the Zero 2 W draws about 270 mA (1.4 W) more than a Zero W; taking that as roughly the "
            + "4-core increase over idle gives 0.35 W per core (about 2 W with 4 busy cores). Treat as +-40%.",
        estimateNotes: "Order-of-magnitude estimates, not measurements. Per MAC: Horowitz (ISSCC 2014) 4.6 pJ for a "
            + "32-bit float multiply-add at 45 nm; BCM2710A1 is 40 nm, and the busy-core term already holds the core's "
            + "power while computing: 5e-12 J of extra datapath energy. Per byte: the 512 MB LPDDR2 in the package "
            + "runs at 1.2 V, costlier per bit than LPDDR4: about 100-200 pJ per byte moved: 1.5e-10 J.",
        clockMHz: 1000,
        neon: true,
        dotprod: false,
        gpio: GPIOHeader(
            chips: ["gpiochip0"], label: "pinctrl-bcm2835", lineCount: 54, lines: headerLines,
            notes: "GPIOn is offset n. Unlike the Pi 3 there is no GPIO expander chip. Offsets 0 and 1 (ID_SDA, ID_SCL) "
                + "are the HAT EEPROM bus."),
        defaultBudgets: DefaultBudgets(latencyP95Ms: 20, powerW: 1.3, notes: budgetNotes),
        hardwareSource: "Clock: Raspberry Pi documentation, config.txt overclocking options "
            + "(https://github.com/raspberrypi/documentation/blob/develop/documentation/asciidoc/computers/config_txt/overclocking.adoc): "
            + "arm_freq defaults to 1000 MHz on Pi Zero 2 W. NEON yes, dot product no: the BCM2710A1 has the "
            + "Raspberry Pi 3's four Cortex-A53 cores (Armv8.0-A); a Pi 3 /proc/cpuinfo in 64-bit mode reads "
            + "'Features: fp asimd evtstrm crc32 cpuid', CPU part 0xd03 "
            + "(https://github.com/hrw/arm-socs-table/issues/6). GPIO: the BCM2835-family driver labels its 54-line "
            + "chip pinctrl-bcm2835 (Linux drivers/pinctrl/bcm/pinctrl-bcm2835.c: MODULE_NAME, BCM2835_NUM_GPIOS); "
            + "no expander chip (https://github.com/lategoodbye/rpi-zero/issues/54); line names from "
            + "raspberrypi/linux arch/arm/boot/dts/broadcom/bcm2710-rpi-zero-2-w.dts (gpio-line-names: ID_SDA, "
            + "ID_SCL, GPIO2 ... GPIO27, then on-board functions).")

    public static let x86_64Generic = BoardProfile(
        name: "x86_64-generic",
        model: "Generic x86-64 machine (placeholder: prefer RAPLMeter, which measures the package)",
        cores: 8,
        idleWatts: 10,
        activeWattsPerCore: 5,
        joulesPerMAC: 1e-12,
        joulesPerByte: 1.5e-10,
        source: "No single measured machine: a placeholder of the right order for a small desktop or mini PC. Whole "
            + "systems of this class idle at roughly 5-20 W; a fully loaded core adds roughly 3-10 W (a 65 W TDP "
            + "8-core desktop part is about 8 W per core at sustained boost, a 15 W 4-core mobile part about 4 W). "
            + "x86 machines almost always expose RAPL (/sys/class/powercap/intel-rapl:N), which EdgePrune reads with "
            + "RAPLMeter; this profile is only the fallback. Edit it for your machine.",
        estimateNotes: "Order-of-magnitude estimates, not measurements. Per MAC: Horowitz (ISSCC 2014) 4.6 pJ for a "
            + "32-bit float multiply-add at 45 nm, scaled to 14-7 nm processes: about 1 pJ of extra datapath energy "
            + "(the busy-core term holds the rest): 1e-12 J. Per byte: DDR4 DIMMs cost about 15-20 pJ per bit "
            + "including I/O, 120-160 pJ per byte moved: 1.5e-10 J.",
        clockMHz: 3000,
        neon: false,
        dotprod: false,
        gpio: nil,
        defaultBudgets: DefaultBudgets(latencyP95Ms: 5, powerW: 20, notes: budgetNotes),
        hardwareSource: "Placeholder, like the watts: 8 cores at 3000 MHz stand for a small desktop or mini PC. x86-64 has no "
            + "NEON and no Arm dot product (its SIMD is SSE/AVX, which the kernels detect at run time) and no GPIO "
            + "header. Edit it for your machine.")
}
