/**
 * A country as the plugin's code writes it: django-countries' Country(code).code, which is the
 * ISO 3166-1 alpha-2 code that `alpha2(code)` finds (the code upper-cased; all digits: the country
 * with that numeric code; three characters: the country with that alpha-3 code) or, where none
 * is found, the stored value unchanged (`us` → `US`, `04` → `AF`, `usa` → `US`, `zz` stays).
 */

/**
 * ISO 3166-1 as django-countries 7 ships it: alpha-2, alpha-3 and the numeric code (3 digits),
 * in its order (the first match wins, as in its loop).
 */
const ISO_3166 = [
  'AFAFG004 ALALB008 DZDZA012 ASASM016 ADAND020 AOAGO024 AIAIA660 AQATA010 AGATG028 ARARG032',
  'AMARM051 AWABW533 AUAUS036 ATAUT040 AZAZE031 BSBHS044 BHBHR048 BDBGD050 BBBRB052 BYBLR112',
  'BEBEL056 BZBLZ084 BJBEN204 BMBMU060 BTBTN064 BOBOL068 BQBES535 BABIH070 BWBWA072 BVBVT074',
  'BRBRA076 IOIOT086 BNBRN096 BGBGR100 BFBFA854 BIBDI108 CVCPV132 KHKHM116 CMCMR120 CACAN124',
  'KYCYM136 CFCAF140 TDTCD148 CLCHL152 CNCHN156 CXCXR162 CCCCK166 COCOL170 KMCOM174 CGCOG178',
  'CDCOD180 CKCOK184 CRCRI188 HRHRV191 CUCUB192 CWCUW531 CYCYP196 CZCZE203 CICIV384 DKDNK208',
  'DJDJI262 DMDMA212 DODOM214 ECECU218 EGEGY818 SVSLV222 GQGNQ226 ERERI232 EEEST233 SZSWZ748',
  'ETETH231 FKFLK238 FOFRO234 FJFJI242 FIFIN246 FRFRA250 GFGUF254 PFPYF258 TFATF260 GAGAB266',
  'GMGMB270 GEGEO268 DEDEU276 GHGHA288 GIGIB292 GRGRC300 GLGRL304 GDGRD308 GPGLP312 GUGUM316',
  'GTGTM320 GGGGY831 GNGIN324 GWGNB624 GYGUY328 HTHTI332 HMHMD334 VAVAT336 HNHND340 HKHKG344',
  'HUHUN348 ISISL352 ININD356 IDIDN360 IRIRN364 IQIRQ368 IEIRL372 IMIMN833 ILISR376 ITITA380',
  'JMJAM388 JPJPN392 JEJEY832 JOJOR400 KZKAZ398 KEKEN404 KIKIR296 KPPRK408 KRKOR410 KWKWT414',
  'KGKGZ417 LALAO418 LVLVA428 LBLBN422 LSLSO426 LRLBR430 LYLBY434 LILIE438 LTLTU440 LULUX442',
  'MOMAC446 MGMDG450 MWMWI454 MYMYS458 MVMDV462 MLMLI466 MTMLT470 MHMHL584 MQMTQ474 MRMRT478',
  'MUMUS480 YTMYT175 MXMEX484 FMFSM583 MDMDA498 MCMCO492 MNMNG496 MEMNE499 MSMSR500 MAMAR504',
  'MZMOZ508 MMMMR104 NANAM516 NRNRU520 NPNPL524 NLNLD528 NCNCL540 NZNZL554 NINIC558 NENER562',
  'NGNGA566 NUNIU570 NFNFK574 MKMKD807 MPMNP580 NONOR578 OMOMN512 PKPAK586 PWPLW585 PSPSE275',
  'PAPAN591 PGPNG598 PYPRY600 PEPER604 PHPHL608 PNPCN612 PLPOL616 PTPRT620 PRPRI630 QAQAT634',
  'ROROU642 RURUS643 RWRWA646 REREU638 BLBLM652 SHSHN654 KNKNA659 LCLCA662 MFMAF663 PMSPM666',
  'VCVCT670 WSWSM882 SMSMR674 STSTP678 SASAU682 SNSEN686 RSSRB688 SCSYC690 SLSLE694 SGSGP702',
  'SXSXM534 SKSVK703 SISVN705 SBSLB090 SOSOM706 ZAZAF710 GSSGS239 SSSSD728 ESESP724 LKLKA144',
  'SDSDN729 SRSUR740 SJSJM744 SESWE752 CHCHE756 SYSYR760 TWTWN158 TJTJK762 TZTZA834 THTHA764',
  'TLTLS626 TGTGO768 TKTKL772 TOTON776 TTTTO780 TNTUN788 TMTKM795 TCTCA796 TVTUV798 TRTUR792',
  'UGUGA800 UAUKR804 AEARE784 GBGBR826 USUSA840 UMUMI581 UYURY858 UZUZB860 VUVUT548 VEVEN862',
  'VNVNM704 VGVGB092 VIVIR850 WFWLF876 EHESH732 YEYEM887 ZMZMB894 ZWZWE716 AXALA248',
].join(' ').split(' ');

interface Codes {
  readonly alpha2: ReadonlySet<string>;
  readonly byAlpha3: ReadonlyMap<string, string>;
  readonly byNumeric: ReadonlyMap<number, string>;
}

let codes: Codes | undefined;

/** The lookup tables, built on first use (first entry wins, as django-countries' loop does). */
function lookup(): Codes {
  if (codes) return codes;
  const byAlpha3 = new Map<string, string>();
  const byNumeric = new Map<number, string>();
  for (const entry of ISO_3166) {
    const alpha2 = entry.slice(0, 2);
    if (!byAlpha3.has(entry.slice(2, 5))) byAlpha3.set(entry.slice(2, 5), alpha2);
    if (!byNumeric.has(Number(entry.slice(5)))) byNumeric.set(Number(entry.slice(5)), alpha2);
  }
  codes = { alpha2: new Set(ISO_3166.map((entry) => entry.slice(0, 2))), byAlpha3, byNumeric };
  return codes;
}

const DECIMAL = /^\p{Nd}$/u;

/** The value of a decimal digit of any script: Unicode encodes each script's 0–9 as one contiguous run. */
function digitValue(char: string): number {
  const point = char.codePointAt(0) as number;
  let start = point;
  while (DECIMAL.test(String.fromCodePoint(start - 1))) start -= 1;
  return (point - start) % 10;
}

/** int() of a string of decimal digits (any script, as Python's int() reads them). */
function decimalValue(digits: string): number {
  return [...digits].reduce((value, char) => value * 10 + digitValue(char), 0);
}

/** django-countries' `countries.alpha2(code)`: the normalised code, or '' when no country has it. */
export function countryAlpha2(code: string): string {
  const upper = code.toUpperCase();
  const { alpha2, byAlpha3, byNumeric } = lookup();
  if (/^\p{Nd}+$/u.test(upper)) return byNumeric.get(decimalValue(upper)) ?? '';
  if ([...upper].length === 3) return byAlpha3.get(upper) ?? '';
  return alpha2.has(upper) ? upper : '';
}

/** `str(Country(code))` for a stored value (NULL stays NULL, written as the empty string). */
export function djangoCountry(value: string | null): string | null {
  return value == null ? null : countryAlpha2(value) || value;
}
