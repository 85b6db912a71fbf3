"""The five seed jurisdictions and their districts (SPEC §3), used only while no policy is loaded.

SPEC §4: "While the service has no policy documents at all, a built-in table of the five seed
jurisdictions and their districts stands in for them, with 12 endorsement months; as soon as
any policy is loaded, policies are the only source, for every jurisdiction."
"""

BUILTIN_ENDORSEMENT_MONTHS = 12

# code -> (zh, en, {district code: (zh, en)})
BUILTIN_JURISDICTIONS: dict[str, tuple[str, str, dict[str, tuple[str, str]]]] = {
    "370300": (
        "淄博市",
        "Zibo",
        {
            "370302": ("淄川区", "Zichuan"),
            "370303": ("张店区", "Zhangdian"),
            "370304": ("博山区", "Boshan"),
            "370305": ("临淄区", "Linzi"),
            "370306": ("周村区", "Zhoucun"),
            "370321": ("桓台县", "Huantai"),
            "370322": ("高青县", "Gaoqing"),
            "370323": ("沂源县", "Yiyuan"),
        },
    ),
    "431000": (
        "郴州市",
        "Chenzhou",
        {
            "431002": ("北湖区", "Beihu"),
            "431003": ("苏仙区", "Suxian"),
            "431021": ("桂阳县", "Guiyang"),
            "431022": ("宜章县", "Yizhang"),
            "431023": ("永兴县", "Yongxing"),
            "431024": ("嘉禾县", "Jiahe"),
            "431025": ("临武县", "Linwu"),
            "431026": ("汝城县", "Rucheng"),
            "431027": ("桂东县", "Guidong"),
            "431028": ("安仁县", "Anren"),
            "431081": ("资兴市", "Zixing"),
        },
    ),
    "441200": (
        "肇庆市",
        "Zhaoqing",
        {
            "441202": ("端州区", "Duanzhou"),
            "441203": ("鼎湖区", "Dinghu"),
            "441204": ("高要区", "Gaoyao"),
            "441223": ("广宁县", "Guangning"),
            "441224": ("怀集县", "Huaiji"),
            "441225": ("封开县", "Fengkai"),
            "441226": ("德庆县", "Deqing"),
            "441284": ("四会市", "Sihui"),
        },
    ),
    "441700": (
        "阳江市",
        "Yangjiang",
        {
            "441702": ("江城区", "Jiangcheng"),
            "441704": ("阳东区", "Yangdong"),
            "441721": ("阳西县", "Yangxi"),
            "441781": ("阳春市", "Yangchun"),
        },
    ),
    "621000": (
        "庆阳市",
        "Qingyang",
        {
            "621002": ("西峰区", "Xifeng"),
            "621021": ("庆城县", "Qingcheng"),
            "621022": ("环县", "Huan"),
            "621023": ("华池县", "Huachi"),
            "621024": ("合水县", "Heshui"),
            "621025": ("正宁县", "Zhengning"),
            "621026": ("宁县", "Ning"),
            "621027": ("镇原县", "Zhenyuan"),
        },
    ),
}
