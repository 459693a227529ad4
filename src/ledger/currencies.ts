/**
 * ISO 4217 currencies and their minor units (decimals), the one list the service knows; a tenant
 * adds its own assets (src/wallets, table `assets`) with codes that are not in it. Source: the
 * ISO 4217 list of active codes (SIX, amendment 176, 2024), funds and precious metals left out
 * (a tenant defines them as assets if it needs them).
 */

/** The codes whose minor unit is not 2. */
const MINOR_UNITS_NOT_2: Readonly<Record<string, number>> = {
  BIF: 0, CLP: 0, DJF: 0, GNF: 0, ISK: 0, JPY: 0, KMF: 0, KRW: 0, PYG: 0, RWF: 0, UGX: 0, UYI: 0, VND: 0, VUV: 0,
  XAF: 0, XOF: 0, XPF: 0,
  BHD: 3, IQD: 3, JOD: 3, KWD: 3, LYD: 3, OMR: 3, TND: 3,
  CLF: 4, UYW: 4,
};

/** The codes with two decimals. */
const MINOR_UNITS_2 = (
  'AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BRL BSD BTN BWP BYN BZD CAD CDF CHF CNY COP CRC ' +
  'CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES ' +
  'KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR ' +
  'NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT ' +
  'TOP TRY TTD TWD TZS UAH USD UYU UZS VES WST XCD XCG YER ZAR ZMW ZWG'
).split(' ');

/** Every ISO 4217 code the service knows, with its minor unit. */
export const ISO_4217_MINOR_UNITS: ReadonlyMap<string, number> = new Map([
  ...MINOR_UNITS_2.map((code) => [code, 2] as const),
  ...Object.entries(MINOR_UNITS_NOT_2),
]);

/** A currency or asset code: what ISO 4217 and tenant assets share. */
export const CURRENCY_CODE_PATTERN = '^[A-Z][A-Z0-9_]{1,15}$';
