/// EdgePruneDevice: what EdgePrune reads from the board it runs on.
///
/// Energy (Energy/): `EnergyMeter` readers for hwmon power monitors (`HwmonMeter`, INA219/INA226
/// through ina2xx: `energy*_input` or `power*_input`), RAPL powercap (`RAPLMeter`, wrap-around via
/// `max_energy_range_uj`) and the Raspberry Pi 5 PMIC (`PMICMeter`, `vcgencmd pmic_read_adc` with a
/// timeout); `ModelEnergyEstimator` for boards without a meter; `EnergyTracker`, which gives
/// joules per inference and average power from a meter when it works and from the model when it
/// does not, counting every anomaly (wraps, backwards counters, vanished meters, garbage).
/// Boards (Boards/): `BoardProfile` (boards/*.json, built in as well) and its detection.
///
/// Every reader takes its root path or command as a parameter, so tests run it on fake trees.
public enum EdgePruneDevice {}
