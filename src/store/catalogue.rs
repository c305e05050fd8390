//! Schemes and their versioned rule catalogues. A published rule version is never updated here:
//! a change is a new version row.

use chrono::Utc;
use sqlx::{any::AnyRow, AnyConnection, Row};

use super::{from_micros, to_micros, StoreError};
use crate::domain::{
    Band, Catalogue, Category, Component, ComponentCode, DisputePolicy, Effect, Grade, GradeBands,
    LegalBasis, OnDeadline, RuleCode, RuleContent, RuleStatus, RuleVersion, RuleVersionId, Scheme, SchemeId,
    SchemeKind, Validity,
};

/// A scheme with the names people read.
#[derive(Clone, Debug)]
pub struct SchemeRecord {
    pub scheme: Scheme,
    pub name_en: String,
    pub name_zh: String,
    pub operator_en: String,
    pub operator_zh: String,
    /// Weighted schemes: (English, Chinese) name of each component, in published order.
    pub component_names: Vec<(String, String)>,
    /// The Chinese name of each grade that has one (a grade's code is its English name).
    pub grade_names_zh: Vec<(Grade, String)>,
}

impl SchemeRecord {
    /// A grade's name in Chinese (`zh`) or English: its code when it has no Chinese name.
    pub fn grade_name<'a>(&'a self, grade: &'a str, zh: bool) -> &'a str {
        let named = zh.then(|| self.grade_names_zh.iter().find(|(g, _)| g.as_str() == grade)).flatten();
        named.map_or(grade, |(_, name)| name.as_str())
    }
}

/// Writes `scheme`'s bands in order, with the Chinese names of their grades, in the caller's
/// transaction (the scheme's earlier bands already deleted).
pub async fn write_bands(
    conn: &mut AnyConnection,
    scheme: &Scheme,
    names_zh: &[(Grade, String)],
) -> Result<(), StoreError> {
    for (position, band) in scheme.bands().bands().iter().enumerate() {
        let zh = names_zh.iter().find(|(g, _)| *g == band.grade).map(|(_, n)| n.clone());
        sqlx::query(
            "INSERT INTO scheme_bands (scheme_id, position, grade, min_score, grade_zh) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(scheme.id().to_string())
        .bind(position as i64)
        .bind(band.grade.as_str())
        .bind(band.min)
        .bind(zh)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// A scheme and its catalogue, loaded together because every write and derivation needs both.
#[derive(Clone, Debug)]
pub struct SchemeContext {
    pub record: SchemeRecord,
    pub catalogue: Catalogue,
}

impl SchemeContext {
    pub fn scheme(&self) -> &Scheme {
        &self.record.scheme
    }
}

/// Marks the catalogue changed, in the caller's transaction. Every write to schemes, their bands
/// and components, rule versions or authorities calls it, so caches keyed by the revision reload
/// (`read_cache`). Not a trigger: a distributed engine would run one on each node.
pub async fn touch(conn: &mut AnyConnection) -> Result<(), StoreError> {
    sqlx::query("UPDATE catalogue_revision SET revision = revision + 1").execute(&mut *conn).await?;
    Ok(())
}

/// Stores a new scheme with its bands and components.
pub async fn insert_scheme(conn: &mut AnyConnection, record: &SchemeRecord) -> Result<(), StoreError> {
    let scheme = &record.scheme;
    let (base, range_min, range_max) = match scheme.kind() {
        SchemeKind::Points { base } => (*base, None, None),
        SchemeKind::Weighted { range_min, range_max, .. } => (*range_min, Some(*range_min), Some(*range_max)),
    };
    sqlx::query(
        "INSERT INTO schemes (id, code, name_en, name_zh, operator_en, operator_zh, kind, base_score, \
         range_min, range_max, dispute_policy, appeal_deadline_days, created_at, on_deadline) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(scheme.id().to_string())
    .bind(scheme.code())
    .bind(&record.name_en)
    .bind(&record.name_zh)
    .bind(&record.operator_en)
    .bind(&record.operator_zh)
    .bind(scheme.kind().code())
    .bind(base)
    .bind(range_min)
    .bind(range_max)
    .bind(scheme.dispute_policy().code())
    .bind(i64::from(scheme.appeal_deadline_days()))
    .bind(to_micros(Utc::now()))
    .bind(scheme.on_deadline().code())
    .execute(&mut *conn)
    .await?;
    write_bands(conn, scheme, &record.grade_names_zh).await?;
    for (position, component) in scheme.components().iter().enumerate() {
        let (name_en, name_zh) = record.component_names.get(position).cloned().unwrap_or_default();
        sqlx::query(
            "INSERT INTO scheme_components (scheme_id, position, code, name_en, name_zh, weight_percent, \
             start_score) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(scheme.id().to_string())
        .bind(position as i64)
        .bind(component.code.as_str())
        .bind(name_en)
        .bind(name_zh)
        .bind(i64::from(component.weight_percent))
        .bind(component.start)
        .execute(&mut *conn)
        .await?;
    }
    touch(conn).await?;
    Ok(())
}

/// Stores a rule version (a draft, or one published from the start, as in the demo data).
pub async fn insert_rule_version(
    conn: &mut AnyConnection,
    scheme: SchemeId,
    version: &RuleVersion,
) -> Result<(), StoreError> {
    let c = version.content();
    let (min, max) = c.effect.range();
    let (unit, count) = match c.counts_for {
        Validity::Days(n) => ("days", n),
        Validity::Months(n) => ("months", n),
    };
    sqlx::query(
        "INSERT INTO rule_versions (id, scheme_id, rule_code, version, status, title_en, title_zh, \
         description_en, description_zh, legal_basis, component, points_default, points_min, points_max, \
         validity_unit, validity_count, effective_from, effective_to, created_at, category, legal_basis_zh) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)",
    )
    .bind(version.id().to_string())
    .bind(scheme.to_string())
    .bind(version.rule_code().as_str())
    .bind(i64::from(version.version()))
    .bind(version.status().code())
    .bind(&c.title_en)
    .bind(&c.title_zh)
    .bind(&c.description_en)
    .bind(&c.description_zh)
    .bind(c.legal_basis.as_ref().map(|b| b.as_str().to_string()))
    .bind(c.effect.component().map(|x| x.as_str().to_string()))
    .bind(c.effect.default_points())
    .bind(min)
    .bind(max)
    .bind(unit)
    .bind(i64::from(count))
    .bind(to_micros(c.effective_from))
    .bind(c.effective_to.map(to_micros))
    .bind(to_micros(Utc::now()))
    .bind(c.category.code())
    .bind(c.legal_basis_zh.as_ref().map(|b| b.as_str().to_string()))
    .execute(&mut *conn)
    .await?;
    touch(conn).await?;
    Ok(())
}

const SCHEME_COLUMNS: &str = "id, code, name_en, name_zh, operator_en, operator_zh, kind, base_score, \
     range_min, range_max, dispute_policy, appeal_deadline_days, on_deadline";

/// Every scheme, by code.
pub async fn schemes(conn: &mut AnyConnection) -> Result<Vec<SchemeRecord>, StoreError> {
    let rows = sqlx::query(&format!("SELECT {SCHEME_COLUMNS} FROM schemes ORDER BY code"))
        .fetch_all(&mut *conn)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        out.push(scheme_from_row(conn, &row).await?);
    }
    Ok(out)
}

/// One scheme by id.
pub async fn scheme(conn: &mut AnyConnection, id: SchemeId) -> Result<Option<SchemeRecord>, StoreError> {
    let row = sqlx::query(&format!("SELECT {SCHEME_COLUMNS} FROM schemes WHERE id = $1"))
        .bind(id.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    match row {
        Some(row) => Ok(Some(scheme_from_row(conn, &row).await?)),
        None => Ok(None),
    }
}

/// One scheme by its code (as in public URLs).
pub async fn scheme_by_code(
    conn: &mut AnyConnection,
    code: &str,
) -> Result<Option<SchemeRecord>, StoreError> {
    let row = sqlx::query(&format!("SELECT {SCHEME_COLUMNS} FROM schemes WHERE code = $1"))
        .bind(code)
        .fetch_optional(&mut *conn)
        .await?;
    match row {
        Some(row) => Ok(Some(scheme_from_row(conn, &row).await?)),
        None => Ok(None),
    }
}

/// A scheme with its whole catalogue.
pub async fn context(conn: &mut AnyConnection, id: SchemeId) -> Result<Option<SchemeContext>, StoreError> {
    let Some(record) = scheme(conn, id).await? else { return Ok(None) };
    let catalogue = catalogue(conn, &record.scheme).await?;
    Ok(Some(SchemeContext { record, catalogue }))
}

async fn scheme_from_row(conn: &mut AnyConnection, row: &AnyRow) -> Result<SchemeRecord, StoreError> {
    let id_text: String = row.try_get("id")?;
    let id = SchemeId::parse(&id_text)?;
    let band_rows = sqlx::query(
        "SELECT grade, min_score, grade_zh FROM scheme_bands WHERE scheme_id = $1 ORDER BY position",
    )
    .bind(&id_text)
    .fetch_all(&mut *conn)
    .await?;
    let mut bands = Vec::with_capacity(band_rows.len());
    let mut grade_names_zh = Vec::new();
    for b in &band_rows {
        let grade = Grade::parse(&b.try_get::<String, _>(0)?)?;
        if let Some(zh) = b.try_get::<Option<String>, _>(2)? {
            grade_names_zh.push((grade, zh));
        }
        bands.push(Band { grade, min: b.try_get(1)? });
    }
    let component_rows = sqlx::query(
        "SELECT code, name_en, name_zh, weight_percent, start_score FROM scheme_components \
         WHERE scheme_id = $1 ORDER BY position",
    )
    .bind(&id_text)
    .fetch_all(&mut *conn)
    .await?;
    let mut components = Vec::new();
    let mut component_names = Vec::new();
    for c in &component_rows {
        components.push(Component {
            code: ComponentCode::parse(&c.try_get::<String, _>(0)?)?,
            weight_percent: u32::try_from(c.try_get::<i64, _>(3)?).map_err(StoreError::corrupt)?,
            start: c.try_get(4)?,
        });
        component_names.push((c.try_get(1)?, c.try_get(2)?));
    }
    let kind = match row.try_get::<String, _>("kind")?.as_str() {
        "points" => SchemeKind::Points { base: row.try_get("base_score")? },
        _ => SchemeKind::Weighted {
            range_min: row.try_get::<Option<i64>, _>("range_min")?.unwrap_or_default(),
            range_max: row.try_get::<Option<i64>, _>("range_max")?.unwrap_or_default(),
            components,
        },
    };
    let policy = DisputePolicy::parse(&row.try_get::<String, _>("dispute_policy")?)
        .ok_or_else(|| StoreError::corrupt("unknown dispute policy"))?;
    let deadline =
        u32::try_from(row.try_get::<i64, _>("appeal_deadline_days")?).map_err(StoreError::corrupt)?;
    let on_deadline = OnDeadline::parse(&row.try_get::<String, _>("on_deadline")?)
        .ok_or_else(|| StoreError::corrupt("unknown consequence of a missed deadline"))?;
    let scheme =
        Scheme::new(id, &row.try_get::<String, _>("code")?, kind, GradeBands::new(bands)?, policy, deadline)?
            .with_on_deadline(on_deadline);
    Ok(SchemeRecord {
        scheme,
        name_en: row.try_get("name_en")?,
        name_zh: row.try_get("name_zh")?,
        operator_en: row.try_get("operator_en")?,
        operator_zh: row.try_get("operator_zh")?,
        component_names,
        grade_names_zh,
    })
}

/// Every version of every rule of `scheme`.
pub async fn catalogue(conn: &mut AnyConnection, scheme: &Scheme) -> Result<Catalogue, StoreError> {
    let rows = sqlx::query(
        "SELECT id, rule_code, version, status, title_en, title_zh, description_en, description_zh, \
         legal_basis, component, points_default, points_min, points_max, validity_unit, validity_count, \
         effective_from, effective_to, category, legal_basis_zh FROM rule_versions WHERE scheme_id = $1 \
         ORDER BY rule_code, version",
    )
    .bind(scheme.id().to_string())
    .fetch_all(&mut *conn)
    .await?;
    let versions = rows.iter().map(rule_version_from_row).collect::<Result<Vec<_>, _>>()?;
    Ok(Catalogue::new(scheme, versions)?)
}

fn rule_version_from_row(row: &AnyRow) -> Result<RuleVersion, StoreError> {
    let (default, min, max): (i64, i64, i64) =
        (row.try_get("points_default")?, row.try_get("points_min")?, row.try_get("points_max")?);
    let effect = match row.try_get::<Option<String>, _>("component")? {
        Some(component) => {
            Effect::Component { component: ComponentCode::parse(&component)?, default, min, max }
        }
        None => Effect::Points { default, min, max },
    };
    let count = u32::try_from(row.try_get::<i64, _>("validity_count")?).map_err(StoreError::corrupt)?;
    let counts_for = match row.try_get::<String, _>("validity_unit")?.as_str() {
        "days" => Validity::Days(count),
        _ => Validity::Months(count),
    };
    let content = RuleContent {
        title_en: row.try_get("title_en")?,
        title_zh: row.try_get("title_zh")?,
        description_en: row.try_get("description_en")?,
        description_zh: row.try_get("description_zh")?,
        legal_basis: row
            .try_get::<Option<String>, _>("legal_basis")?
            .map(|b| LegalBasis::parse(&b))
            .transpose()?,
        legal_basis_zh: row
            .try_get::<Option<String>, _>("legal_basis_zh")?
            .map(|b| LegalBasis::parse_zh(&b))
            .transpose()?,
        category: Category::parse(&row.try_get::<String, _>("category")?)?,
        effect,
        counts_for,
        effective_from: from_micros(row.try_get("effective_from")?),
        effective_to: row.try_get::<Option<i64>, _>("effective_to")?.map(from_micros),
    };
    let status = RuleStatus::parse(&row.try_get::<String, _>("status")?)
        .ok_or_else(|| StoreError::corrupt("unknown rule status"))?;
    let version = u32::try_from(row.try_get::<i64, _>("version")?).map_err(StoreError::corrupt)?;
    Ok(RuleVersion::new(
        RuleVersionId::parse(&row.try_get::<String, _>("id")?)?,
        RuleCode::parse(&row.try_get::<String, _>("rule_code")?)?,
        version,
        content,
        status,
    )?)
}

/// When and why a rule was repealed: it stays listed on its scheme's page with both.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleRepeal {
    pub rule_code: RuleCode,
    pub repealed_at: chrono::DateTime<Utc>,
    /// Empty for a rule repealed before reasons were kept (shown as "not recorded").
    pub reason: String,
}

/// Keeps when and why rule `code` of `scheme` was repealed, in the repeal's transaction (a rule
/// published again and repealed again keeps its latest repeal).
pub async fn insert_repeal(
    conn: &mut AnyConnection,
    scheme: SchemeId,
    repeal: &RuleRepeal,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO rule_repeals (scheme_id, rule_code, repealed_at, reason) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (scheme_id, rule_code) DO UPDATE SET repealed_at = excluded.repealed_at, reason = excluded.reason",
    )
        .bind(scheme.to_string())
        .bind(repeal.rule_code.as_str())
        .bind(to_micros(repeal.repealed_at))
        .bind(&repeal.reason)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The rules of `scheme` that were repealed, by code.
pub async fn repeals(conn: &mut AnyConnection, scheme: SchemeId) -> Result<Vec<RuleRepeal>, StoreError> {
    let rows = sqlx::query(
        "SELECT rule_code, repealed_at, reason FROM rule_repeals WHERE scheme_id = $1 ORDER BY rule_code",
    )
    .bind(scheme.to_string())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(RuleRepeal {
                rule_code: RuleCode::parse(&r.try_get::<String, _>(0)?)?,
                repealed_at: from_micros(r.try_get(1)?),
                reason: r.try_get(2)?,
            })
        })
        .collect()
}
