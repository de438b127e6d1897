//! Resource quantities, after k8s.io/apimachinery v0.37 `pkg/api/resource/quantity.go`
//! (`ParseQuantity`, `Quantity.String` / `CanonicalizeBytes`, `Cmp`, `ScaledValue`) and
//! `suffix.go`.
//!
//! A quantity is held exactly as a decimal digit string and a power of ten, so parsing,
//! comparing and printing are linear in the input, whatever its exponent: Go's `inf.Dec`
//! would build a million-digit integer for `1e1000000`; here it is the digit `1` and the
//! exponent 1000000.

use std::cmp::Ordering;
use std::fmt;

/// The notation a quantity was written in; it decides how it prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `12e6`, `1E3`.
    DecimalExponent,
    /// `12Mi` (12 × 2^20).
    BinarySi,
    /// `12M` (12 × 10^6), `500m`, plain numbers.
    DecimalSi,
}

/// Why a string is not a quantity, with Go's messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum QuantityError {
    /// `ErrFormatWrong`.
    #[error(
        "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
    )]
    FormatWrong,
    /// `ErrNumeric`.
    #[error("unable to parse numeric part of quantity")]
    Numeric,
    /// `ErrSuffix`.
    #[error("unable to parse quantity's suffix")]
    Suffix,
}

/// A parsed quantity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quantity {
    negative: bool,
    /// The magnitude's digits, without leading zeros; empty for zero.
    digits: String,
    /// The magnitude is `digits × 10^exponent`.
    exponent: i64,
    format: Format,
    /// The text as written, when Go keeps it for printing (its `Quantity.s`).
    original: Option<String>,
}

/// Go's `parseQuantityString`: sign, the numeric part, its integer and fraction digits,
/// and the suffix.
fn split(s: &str) -> Result<(bool, &str, &str, &str, &str), QuantityError> {
    let b = s.as_bytes();
    let end = b.len();
    let mut positive = true;
    let mut pos = 0;
    if pos < end {
        match b[0] {
            b'-' => {
                positive = false;
                pos += 1;
            }
            b'+' => pos += 1,
            _ => {}
        }
    }
    // Leading zeros.
    while pos < end && b[pos] == b'0' {
        pos += 1;
    }
    if pos >= end {
        return Ok((positive, "0", "0", "", ""));
    }
    let start = pos;
    while pos < end && b[pos].is_ascii_digit() {
        pos += 1;
    }
    if pos >= end {
        return Ok((positive, &s[..end], &s[start..end], "", ""));
    }
    let mut num = &s[start..pos];
    if num.is_empty() {
        num = "0";
    }
    let mut denom = "";
    if b[pos] == b'.' {
        pos += 1;
        let dstart = pos;
        while pos < end && b[pos].is_ascii_digit() {
            pos += 1;
        }
        if pos >= end {
            return Ok((positive, &s[..end], num, &s[dstart..end], ""));
        }
        denom = &s[dstart..pos];
    }
    let value = &s[..pos];
    let suffix_start = pos;
    while pos < end && b"eEinumkKMGTP".contains(&b[pos]) {
        pos += 1;
    }
    if pos >= end {
        return Ok((positive, value, num, denom, &s[suffix_start..]));
    }
    if matches!(b[pos], b'-' | b'+') {
        pos += 1;
    }
    while pos < end && b[pos].is_ascii_digit() {
        pos += 1;
    }
    if pos >= end {
        return Ok((positive, value, num, denom, &s[suffix_start..]));
    }
    Err(QuantityError::FormatWrong)
}

/// Go's suffix interpretation: `(base, exponent, format)`.
fn interpret(suffix: &str) -> Option<(u32, i32, Format)> {
    let dec = |e| Some((10, e, Format::DecimalSi));
    let bin = |e| Some((2, e, Format::BinarySi));
    match suffix {
        "" => dec(0),
        "n" => dec(-9),
        "u" => dec(-6),
        "m" => dec(-3),
        "k" => dec(3),
        "M" => dec(6),
        "G" => dec(9),
        "T" => dec(12),
        "P" => dec(15),
        "E" => dec(18),
        "Ki" => bin(10),
        "Mi" => bin(20),
        "Gi" => bin(30),
        "Ti" => bin(40),
        "Pi" => bin(50),
        "Ei" => bin(60),
        s if s.len() > 1 && (s.starts_with('e') || s.starts_with('E')) => {
            // strconv.ParseInt(s[1:], 10, 64), then int32(parsed): Go keeps the low 32 bits.
            let parsed: i64 = s[1..].parse().ok()?;
            if s[1..].starts_with('+') && s.len() == 2 {
                return None;
            }
            Some((10, parsed as i32, Format::DecimalExponent))
        }
        _ => None,
    }
}

fn trim_leading_zeros(s: &str) -> &str {
    s.trim_start_matches('0')
}

/// `digits × m` for a small `m`.
fn mul_small(digits: &str, m: u64) -> String {
    let mut out: Vec<u8> = Vec::with_capacity(digits.len() + 20);
    let mut carry: u128 = 0;
    for d in digits.bytes().rev() {
        let v = (d - b'0') as u128 * m as u128 + carry;
        out.push((v % 10) as u8 + b'0');
        carry = v / 10;
    }
    while carry > 0 {
        out.push((carry % 10) as u8 + b'0');
        carry /= 10;
    }
    out.reverse();
    let s = String::from_utf8(out).unwrap_or_default();
    trim_leading_zeros(&s).to_string()
}

/// `digits + 1`.
fn increment(digits: &str) -> String {
    let mut b = digits.as_bytes().to_vec();
    let mut i = b.len();
    loop {
        if i == 0 {
            b.insert(0, b'1');
            break;
        }
        i -= 1;
        if b[i] == b'9' {
            b[i] = b'0';
        } else {
            b[i] += 1;
            break;
        }
    }
    String::from_utf8(b).unwrap_or_default()
}

/// 2^63 - 1, the largest BinarySI magnitude Go keeps.
const MAX_INT64: &str = "9223372036854775807";

impl Quantity {
    /// `resource.ParseQuantity`.
    pub fn parse(s: &str) -> Result<Quantity, QuantityError> {
        if s.is_empty() {
            return Err(QuantityError::FormatWrong);
        }
        if s == "0" {
            return Ok(Quantity {
                negative: false,
                digits: String::new(),
                exponent: 0,
                format: Format::DecimalSi,
                original: Some(s.into()),
            });
        }
        let (positive, _value, num, denom, suffix) = split(s)?;
        let (base, exponent, mut format) = interpret(suffix).ok_or(QuantityError::Suffix)?;

        // The digits of the number, without its decimal point.
        let mut shifted = String::with_capacity(num.len() + denom.len());
        shifted.push_str(num);
        shifted.push_str(denom);
        // Go's int64 fast path decides whether the text is kept for printing.
        let mut original = None;
        let precision: i32 = match format {
            Format::DecimalExponent | Format::DecimalSi => 18 - (num.len() + denom.len()) as i32,
            Format::BinarySi if exponent >= 0 && denom.is_empty() => {
                15 - num.len() as i32 - (exponent as f32 * 3.0 / 10.0) as i32 - 1
            }
            Format::BinarySi => -1,
        };
        if precision >= 0 {
            let scale = match format {
                Format::BinarySi => 0i32,
                _ => exponent.wrapping_sub(denom.len() as i32),
            };
            if scale >= -9
                && let Ok(value) = shifted.parse::<i64>()
            {
                let mantissa: i64 = if base == 2 { 1i64 << exponent } else { 1 };
                if value.checked_mul(mantissa).is_some() {
                    let keep = match format {
                        Format::BinarySi => exponent % 10 == 0 && value & 0x07 != 0,
                        _ => {
                            scale % 3 == 0 && !shifted.ends_with("000") && !shifted.starts_with('0')
                        }
                    };
                    if keep {
                        original = Some(s.to_string());
                    }
                }
            }
        }

        // The exact value: (num.denom) × base^exponent.
        let zeros = shifted.len() - trim_leading_zeros(&shifted).len();
        shifted.drain(..zeros);
        let mut digits = shifted;
        let mut exp10: i64 = -(denom.len() as i64);
        if base == 10 {
            exp10 += exponent as i64;
        } else if let Some(product) = (digits.len() <= 19 && exponent <= 60)
            .then(|| digits.parse::<u128>().ok())
            .flatten()
        {
            // At most 10^19 × 2^60 < 2^128: the product of the usual sizes in one step.
            digits = if product == 0 {
                String::new()
            } else {
                product
                    .checked_shl(exponent as u32)
                    .unwrap_or(0)
                    .to_string()
            };
        } else {
            let mut left = exponent;
            while left > 0 {
                let step = left.min(20);
                digits = mul_small(&digits, 1u64 << step);
                left -= step;
            }
        }
        let mut q = Quantity {
            negative: !positive,
            digits,
            exponent: exp10,
            format,
            original: None,
        };
        q.normalize();
        // Rounded up to nano precision (inf.RoundUp: away from zero).
        if !q.digits.is_empty() && q.exponent < -9 {
            let drop = (-9 - q.exponent) as usize;
            if drop >= q.digits.len() {
                q.digits = "1".into();
            } else {
                let kept = &q.digits[..q.digits.len() - drop];
                let dropped_nonzero = q.digits[q.digits.len() - drop..].bytes().any(|c| c != b'0');
                q.digits = if dropped_nonzero {
                    increment(kept)
                } else {
                    kept.to_string()
                };
            }
            q.exponent = -9;
            q.normalize();
        }
        if format == Format::BinarySi && q.cmp_magnitude_str(MAX_INT64, 0) == Ordering::Greater {
            q.digits = MAX_INT64.into();
            q.exponent = 0;
        }
        if format == Format::BinarySi
            && !q.digits.is_empty()
            && q.cmp_magnitude_str("1", 0) == Ordering::Less
        {
            format = Format::DecimalSi;
        }
        q.format = format;
        if q.digits.is_empty() {
            q.negative = false;
        }
        q.original = original;
        Ok(q)
    }

    /// Moves trailing zeros of the digits into the exponent.
    fn normalize(&mut self) {
        let trimmed = self.digits.trim_end_matches('0');
        let zeros = self.digits.len() - trimmed.len();
        if trimmed.is_empty() {
            self.digits.clear();
            self.exponent = 0;
            return;
        }
        self.digits.truncate(trimmed.len());
        self.exponent += zeros as i64;
    }

    /// Whether the quantity is zero.
    pub fn is_zero(&self) -> bool {
        self.digits.is_empty()
    }

    /// Whether it is below zero.
    pub fn is_negative(&self) -> bool {
        self.negative && !self.digits.is_empty()
    }

    /// The notation it was written in (after Go's adjustments).
    pub fn format(&self) -> Format {
        self.format
    }

    fn cmp_magnitude(&self, other: &Quantity) -> Ordering {
        self.cmp_magnitude_str(&other.digits, other.exponent)
    }

    /// The order of the magnitudes of this and of `digits` × 10^`exponent` (normalized).
    fn cmp_magnitude_str(&self, digits: &str, exponent: i64) -> Ordering {
        match (self.digits.is_empty(), digits.is_empty()) {
            (true, true) => return Ordering::Equal,
            (true, false) => return Ordering::Less,
            (false, true) => return Ordering::Greater,
            _ => {}
        }
        // Position of the most significant digit.
        let top = self.digits.len() as i64 + self.exponent;
        match top.cmp(&(digits.len() as i64 + exponent)) {
            Ordering::Equal => {}
            o => return o,
        }
        let (a, b) = (self.digits.as_bytes(), digits.as_bytes());
        for i in 0..a.len().max(b.len()) {
            let x = a.get(i).copied().unwrap_or(b'0');
            let y = b.get(i).copied().unwrap_or(b'0');
            match x.cmp(&y) {
                Ordering::Equal => {}
                o => return o,
            }
        }
        Ordering::Equal
    }

    /// `Quantity.Cmp`: the order of the values (`1000m` and `1` are equal).
    pub fn compare(&self, other: &Quantity) -> Ordering {
        match (self.is_negative(), other.is_negative()) {
            (false, true) => Ordering::Greater,
            (true, false) => Ordering::Less,
            (false, false) => self.cmp_magnitude(other),
            (true, true) => other.cmp_magnitude(self),
        }
    }

    /// `ScaledValue(scale)`: the value in units of 10^scale, rounded up away from zero;
    /// `None` when it does not fit an i64 (Go's result then wraps).
    pub fn scaled_value(&self, scale: i32) -> Option<i64> {
        if self.digits.is_empty() {
            return Some(0);
        }
        let shift = self.exponent - scale as i64;
        let magnitude: i128 = if shift >= 0 {
            if self.digits.len() as i64 + shift > 19 {
                return None;
            }
            let mut v: i128 = self.digits.parse().ok()?;
            for _ in 0..shift {
                v *= 10;
            }
            v
        } else {
            let drop = (-shift) as usize;
            if drop >= self.digits.len() {
                1
            } else {
                let kept = &self.digits[..self.digits.len() - drop];
                if kept.len() > 19 {
                    return None;
                }
                let v: i128 = kept.parse().ok()?;
                if self.digits[self.digits.len() - drop..]
                    .bytes()
                    .any(|c| c != b'0')
                {
                    v + 1
                } else {
                    v
                }
            }
        };
        let signed = if self.negative { -magnitude } else { magnitude };
        i64::try_from(signed).ok()
    }

    /// `Value()`.
    pub fn value(&self) -> Option<i64> {
        self.scaled_value(0)
    }

    /// `MilliValue()`.
    pub fn milli_value(&self) -> Option<i64> {
        self.scaled_value(-3)
    }

    /// Number of digits and the power of ten, to bound work on absurd inputs.
    pub fn magnitude_size(&self) -> (usize, i64) {
        (self.digits.len(), self.exponent)
    }

    /// The canonical text (`CanonicalizeBytes`), ignoring the kept original.
    fn canonical(&self) -> String {
        if self.digits.is_empty() {
            return "0".into();
        }
        let sign = if self.negative { "-" } else { "" };
        let mut format = self.format;
        if format == Format::BinarySi {
            let below_1024 = self.cmp_magnitude_str("1024", 0) == Ordering::Less;
            let integer = self.exponent >= 0;
            if below_1024 || !integer {
                format = Format::DecimalSi;
            }
        }
        match format {
            Format::DecimalExponent | Format::DecimalSi => {
                let mut digits = self.digits.clone();
                let mut exponent = self.exponent;
                // Go's % truncates toward zero; the loop makes the exponent a multiple of 3
                // by moving digits out of it.
                while exponent % 3 != 0 {
                    digits.push('0');
                    exponent -= 1;
                }
                let suffix = match format {
                    Format::DecimalExponent if exponent == 0 => String::new(),
                    Format::DecimalExponent => format!("e{exponent}"),
                    _ => match exponent {
                        -9 => "n".into(),
                        -6 => "u".into(),
                        -3 => "m".into(),
                        0 => String::new(),
                        3 => "k".into(),
                        6 => "M".into(),
                        9 => "G".into(),
                        12 => "T".into(),
                        15 => "P".into(),
                        18 => "E".into(),
                        // No DecimalSI suffix: Go prints the number without one.
                        _ => String::new(),
                    },
                };
                format!("{sign}{digits}{suffix}")
            }
            Format::BinarySi => {
                // An integer (exponent >= 0) no larger than 2^63 - 1.
                let mut value: u64 =
                    format!("{}{}", self.digits, "0".repeat(self.exponent as usize))
                        .parse()
                        .unwrap_or(u64::MAX);
                let mut times = 0;
                while value >= 1024 && value.is_multiple_of(1024) {
                    value /= 1024;
                    times += 1;
                }
                let suffix = match times {
                    1 => "Ki",
                    2 => "Mi",
                    3 => "Gi",
                    4 => "Ti",
                    5 => "Pi",
                    6 => "Ei",
                    _ => "",
                };
                format!("{sign}{value}{suffix}")
            }
        }
    }
}

/// `Quantity.String()`: the text as written when Go keeps it, else the canonical form.
impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.original {
            Some(s) => f.write_str(s),
            None => f.write_str(&self.canonical()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> Quantity {
        Quantity::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn prints_as_go_does() {
        let rows = [
            ("0", "0"),
            ("100m", "100m"),
            ("2000m", "2"),
            ("1.5", "1500m"),
            ("0.5", "500m"),
            ("1Gi", "1Gi"),
            ("1024Mi", "1Gi"),
            ("512Mi", "512Mi"),
            ("1.5Gi", "1536Mi"),
            ("1e3", "1e3"),
            ("1E3", "1E3"),
            ("1000", "1k"),
            ("1k", "1k"),
            ("180Mi", "180Mi"),
            ("0.1Ki", "102400m"),
            ("1n", "1n"),
            ("0.0000000001", "1n"),
            ("-1", "-1"),
            ("+5", "+5"),
            ("1e1000000", "10e999999"),
            ("12e6", "12e6"),
            ("100M", "100M"),
            (".5", "500m"),
            ("1000E", "1"),
            ("4096", "4096"),
            ("10Ei", "9223372036854775807"),
        ];
        for (input, want) in rows {
            assert_eq!(q(input).to_string(), want, "{input}");
        }
    }

    #[test]
    fn refuses_what_go_refuses() {
        let rows = [
            ("", QuantityError::FormatWrong),
            ("1.2.3", QuantityError::FormatWrong),
            ("abc", QuantityError::FormatWrong),
            ("1 Gi", QuantityError::FormatWrong),
            ("1Gb", QuantityError::FormatWrong),
            ("1mi", QuantityError::Suffix),
            ("1e", QuantityError::Suffix),
            ("1KiB", QuantityError::FormatWrong),
        ];
        for (input, want) in rows {
            assert_eq!(Quantity::parse(input), Err(want), "{input}");
        }
    }

    #[test]
    fn compares_and_scales() {
        assert_eq!(q("2").compare(&q("1")), Ordering::Greater);
        assert_eq!(q("1000m").compare(&q("1")), Ordering::Equal);
        assert_eq!(q("1Gi").compare(&q("1G")), Ordering::Greater);
        assert_eq!(q("-1").compare(&q("0")), Ordering::Less);
        assert_eq!(q("1e1000000").compare(&q("1Ei")), Ordering::Greater);
        assert_eq!(q("1.5").milli_value(), Some(1500));
        assert_eq!(q("100m").value(), Some(1), "rounded up");
        assert_eq!(q("1e1000000").value(), None);
        assert!(q("-0").is_zero() && !q("-0").is_negative());
    }
}
