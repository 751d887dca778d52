"""The signal types the platform starts with: the 14 national meteorological warning signals
(CMA order no. 16, 2007; colours per standards-cn.md §5.1) and the county's emergency kinds.

Defence guides are condensed from the national 防御指南; the county edits them as data.
"""

BLUE, YELLOW, ORANGE, RED = "blue", "yellow", "orange", "red"

SIGNAL_TYPES = [
    {
        "code": "typhoon",
        "name": "台风",
        "category": "Met",
        "colours": [BLUE, YELLOW, ORANGE, RED],
        "guides": {
            BLUE: "做好防风准备；关紧门窗，加固围板、棚架、广告牌等易被风吹动的搭建物；停止露天集体活动。",
            YELLOW: "进入防风状态；危险地带人员和危房居民尽量转到避风场所；切断户外危险电源，停止高空户外作业。",
            ORANGE: "进入紧急防风状态；停止室内外大型集会和高空作业；人员切勿外出，危房人员及时转移。",
            RED: "进入特别紧急防风状态；人员待在防风安全的地方，不要随意外出；相关地区做好人员转移和抢险救灾准备。",
        },
    },
    {
        "code": "rainstorm",
        "name": "暴雨",
        "category": "Met",
        "colours": [BLUE, YELLOW, ORANGE, RED],
        "guides": {
            BLUE: "做好防暴雨准备；检查城市、农田、鱼塘排水系统；学校、幼儿园采取措施保障学生安全。",
            YELLOW: "做好防暴雨工作；交通管理部门对积水地区实行交通引导；切断低洼地带有危险的室外电源，暂停露天作业。",
            ORANGE: "做好防暴雨应急和抢险工作；切断有危险的室外电源，暂停户外作业；处于危险地带的单位停课、停业，转移山洪、地质灾害隐患点人员。",
            RED: "做好防暴雨应急和抢险工作；停止集会、停课、停业（除特殊行业外）；立即转移山洪、地质灾害、水库下游危险区域人员。",
        },
    },
    {
        "code": "snowstorm",
        "name": "暴雪",
        "category": "Met",
        "colours": [BLUE, YELLOW, ORANGE, RED],
        "guides": {
            BLUE: "做好防雪准备；农牧区备足饲料，加固棚架；行人注意防寒防滑。",
            YELLOW: "加强交通管理，做好道路清扫和积雪融化；加固棚架等易被雪压的临时搭建物。",
            ORANGE: "落实防雪灾和防冻害应急措施；减少不必要的户外活动；农牧区将畜禽赶入棚圈。",
            RED: "必要时停课、停业（除特殊行业外）；必要时飞机暂停起降，火车暂停运行，高速公路暂时封闭；做好牧区救灾救济。",
        },
    },
    {
        "code": "cold_wave",
        "name": "寒潮",
        "category": "Met",
        "colours": [BLUE, YELLOW, ORANGE, RED],
        "guides": {
            BLUE: "做好防寒潮准备；注意添衣保暖；对热带作物、水产品采取防寒措施。",
            YELLOW: "做好防寒潮工作；注意添衣保暖，照顾好老、弱、病人；做好牲畜、家禽防寒防风。",
            ORANGE: "做好防寒潮应急工作；注意防寒保暖；农业、水产业、畜牧业积极采取防霜冻、冰冻措施。",
            RED: "做好防寒潮应急和抢险工作；注意防寒保暖；农业、水产业、畜牧业积极采取防霜冻、冰冻措施，尽量减少损失。",
        },
    },
    {
        "code": "gale",
        "name": "大风",
        "category": "Met",
        "colours": [BLUE, YELLOW, ORANGE, RED],
        "guides": {
            BLUE: "做好防风准备；关好门窗，加固围板、棚架等易被风吹动的搭建物，妥善安置易受大风影响的室外物品。",
            YELLOW: "停止露天活动和高空作业；人员尽量减少外出，不要在广告牌、临时搭建物下逗留。",
            ORANGE: "房屋抗风能力较弱的中小学校和单位应当停课、停业；人员切勿在户外不安全的地方逗留。",
            RED: "人员应当尽可能停留在防风安全的地方，不要随意外出；切断危险电源，妥善安置易受大风影响的室外物品。",
        },
    },
    {
        "code": "sandstorm",
        "name": "沙尘暴",
        "category": "Met",
        "colours": [YELLOW, ORANGE, RED],
        "guides": {
            YELLOW: "关好门窗，加固围板、棚架；老人、儿童及患有呼吸道疾病的人员不要到室外活动。",
            ORANGE: "停止露天活动和高空、水上等户外危险作业；机场、高速公路等单位加强交通调度。",
            RED: "人员应当留在防风、防尘的地方，不要在户外活动；学校、幼儿园推迟上学或者放学。",
        },
    },
    {
        "code": "heat",
        "name": "高温",
        "category": "Met",
        "colours": [YELLOW, ORANGE, RED],
        "guides": {
            YELLOW: "午后尽量减少户外活动；对老、弱、病、幼人群提供防暑降温指导；高温条件下作业和白天需要长时间进行户外露天作业的人员应当采取必要的防护措施。",
            ORANGE: "尽量避免在高温时段进行户外活动，高温条件下作业的人员应当缩短连续工作时间；注意防范电线、变压器等电力负载过大而引发的火灾。",
            RED: "停止户外露天作业（除特殊行业外）；对老、弱、病、幼人群采取保护措施；特别注意防火。",
        },
    },
    {
        "code": "drought",
        "name": "干旱",
        "category": "Met",
        "colours": [ORANGE, RED],
        "guides": {
            ORANGE: "启动抗旱应急预案，做好抗旱用水调度；压减城镇供水指标，优先保障城乡居民生活用水和牲畜饮水；限制非生产性高耗水及服务业用水。",
            RED: "启动抗旱最高级别应急预案；限时或者限量供应城镇居民生活用水，缩小或者阶段性停止农业灌溉供水；严禁非生产性高耗水及服务业用水。",
        },
    },
    {
        "code": "lightning",
        "name": "雷电",
        "category": "Met",
        "colours": [YELLOW, ORANGE, RED],
        "guides": {
            YELLOW: "密切关注天气，尽量避免户外活动。",
            ORANGE: "人员应当留在室内，并关好门窗；户外人员应当躲入有防雷设施的建筑物或者汽车内；切断危险电源，不要在树下、电杆下、塔吊下避雨。",
            RED: "尽量躲入有防雷设施的建筑物或者汽车内，并关好门窗；切勿接触天线、水管、铁丝网、金属门窗等；尽量不要使用无防雷装置的电器，不要使用固定电话。",
        },
    },
    {
        "code": "hail",
        "name": "冰雹",
        "category": "Met",
        "colours": [ORANGE, RED],
        "guides": {
            ORANGE: "户外行人立即到安全的地方暂避；驱赶家禽、牲畜进入有顶蓬的场所，妥善保护易受冰雹袭击的汽车等室外物品或者设备。",
            RED: "人员切勿外出，确保老人、小孩待在家中；驱赶家禽、牲畜进入有顶蓬的场所，妥善保护室外物品或者设备。",
        },
    },
    {
        "code": "frost",
        "name": "霜冻",
        "category": "Met",
        "colours": [BLUE, YELLOW, ORANGE],
        "guides": {
            BLUE: "对农作物、蔬菜、花卉、瓜果、林业育种要采取一定的防护措施；农村基层组织要广泛发动群众防灾抗灾。",
            YELLOW: "农村基层组织要广泛发动群众防灾抗灾；对农作物、林业育种要积极采取田间灌溉等防霜冻、冰冻措施，尽量减少损失。",
            ORANGE: "对农作物、蔬菜、花卉、瓜果、林业育种要采取积极的应对措施，尽量减少损失；农村基层组织要广泛发动群众防灾抗灾。",
        },
    },
    {
        "code": "fog",
        "name": "大雾",
        "category": "Met",
        "colours": [YELLOW, ORANGE, RED],
        "guides": {
            YELLOW: "驾驶人员注意雾的变化，小心驾驶；户外活动注意安全。",
            ORANGE: "驾驶人员必须严格控制车、船的行进速度；减少户外活动。",
            RED: "有关单位按照行业规定适时采取交通安全管制措施，如机场暂停飞机起降，高速公路暂时封闭，轮渡暂时停航等；不要进行户外活动。",
        },
    },
    {
        "code": "haze",
        "name": "霾",
        "category": "Met",
        "colours": [YELLOW, ORANGE, RED],
        "guides": {
            YELLOW: "驾驶人员小心驾驶；因空气质量明显降低，人员需适当防护；呼吸道疾病患者尽量减少外出，外出时可戴上口罩。",
            ORANGE: "机场、高速公路、轮渡码头等单位加强交通管理，保障安全；驾驶人员谨慎驾驶；空气质量差，人员需适当防护。",
            RED: "政府及相关部门按照职责采取相应措施；中小学、幼儿园停止户外活动；儿童、老年人和易感人群留在室内。",
        },
    },
    {
        "code": "road_icing",
        "name": "道路结冰",
        "category": "Met",
        "colours": [YELLOW, ORANGE, RED],
        "guides": {
            YELLOW: "驾驶人员应当注意路况，安全行驶；行人外出尽量少骑自行车，注意防滑。",
            ORANGE: "驾驶人员必须采取防滑措施，听从指挥，慢速行驶；行人出门注意防滑。",
            RED: "交通、公安等部门做好道路结冰应急和抢险工作；必要时关闭结冰道路交通；人员尽量减少外出。",
        },
    },
    {
        "code": "reservoir",
        "name": "水库险情",
        "category": "Safety",
        "colours": [BLUE, YELLOW, ORANGE, RED],
        "guides": {
            BLUE: "水库水位上涨，下游村组注意水情，不要在河道、溢洪道附近逗留。",
            YELLOW: "水库水位超过汛限水位，下游村组做好转移准备，巡查人员加密巡坝。",
            ORANGE: "水库出现险情，下游危险区域老人、儿童和行动不便人员先行转移，其他人员做好随时撤离准备。",
            RED: "水库险情严重，下游危险区域全部人员立即按转移路线撤离到安全地带，不得返回。",
        },
    },
    {
        "code": "flash_flood",
        "name": "山洪灾害",
        "category": "Geo",
        "colours": [BLUE, YELLOW, ORANGE, RED],
        "guides": {
            BLUE: "山洪可能发生，沿河、沟谷人员注意雨情水情。",
            YELLOW: "山洪发生可能性较大，暂停沟谷内施工作业，危险区人员做好转移准备。",
            ORANGE: "山洪发生可能性大，危险区人员立即转移到安全地点，禁止涉水过河。",
            RED: "山洪发生可能性很大，危险区全部人员立即撤离，各村组织巡查，严防人员返回。",
        },
    },
    {
        "code": "geohazard",
        "name": "地质灾害",
        "category": "Geo",
        "colours": [BLUE, YELLOW, ORANGE, RED],
        "guides": {
            BLUE: "注意地质灾害隐患点的巡查。",
            YELLOW: "加强隐患点巡查和监测，受威胁群众做好转移准备。",
            ORANGE: "受威胁群众立即转移，停止隐患点附近的施工和生产活动。",
            RED: "隐患点受威胁群众全部撤离，设置警示标志，严禁人员进入危险区域。",
        },
    },
    {
        "code": "agro_cold",
        "name": "农业低温冷害",
        "category": "Met",
        "colours": [BLUE, YELLOW, ORANGE],
        "guides": {
            BLUE: "早稻秧田做好保温，推迟播种或移栽。",
            YELLOW: "秧田灌深水护秧，大棚加盖保温；畜禽圈舍做好防寒。",
            ORANGE: "落实防冻保苗措施，受灾田块及时补种改种；设施农业加温保温。",
        },
    },
]
