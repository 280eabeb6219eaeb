"""Report words of the insurance domain: key -> {"en": ..., "zh-CN": ...}."""

MESSAGES: dict[str, dict[str, str]] = {
    "insurance.sum_insured_basis": {"en": "Sum insured basis", "zh-CN": "保险金额依据"},
    "insurance.percentile_of_range": {"en": "percentile of the valuation's range", "zh-CN": "估值区间分位数"},
    "insurance.basis_value": {"en": "value at that percentile", "zh-CN": "该分位数对应价值"},
    "insurance.rule": {"en": "rule", "zh-CN": "规则"},
    "insurance.departure": {"en": "departs from the value because of", "zh-CN": "偏离估值的原因"},
    "insurance.departure.product cap": {"en": "the product's limit", "zh-CN": "产品限额"},
    "insurance.departure.floor": {"en": "the minimum sum insured", "zh-CN": "最低保险金额"},
    "insurance.departure.schedule": {"en": "the product's published schedule", "zh-CN": "产品公布的保障方案"},
    "insurance.written_premium": {"en": "Written premium (whole term)", "zh-CN": "签单保费（整个保险期间）"},
    "insurance.earned_by_year": {"en": "Earned premium by policy year", "zh-CN": "各保单年度已赚保费"},
}
